"""One line a reviewer reads at a glance from C2PA evidence: origin, who made it, validity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ORIGIN_WORDS = {
    "ai_created": "AI-created",
    "ai_edited": "AI-edited",
    "captured": "camera capture",
    "algorithmic": "procedural, not AI",
    "unknown": "no source type declared",
}


def c2pa_summary(evidence: Mapping[str, Any]) -> str:
    """E.g. ``C2PA: AI-created (trainedAlgorithmicMedia, in an ingredient) by ChatGPT;
    signed by OpenAI; Valid, signer untrusted, certificate expired``."""
    if evidence.get("remote_manifest"):
        return "C2PA manifest referenced remotely: unverifiable offline"
    origin = str(evidence.get("origin") or "unknown")
    head = f"C2PA: {ORIGIN_WORDS.get(origin, origin)}"
    types = [d.get("type") for d in evidence.get("digital_source_types") or [] if d.get("type")]
    where = (
        ""
        if evidence.get("ai_in_active_manifest") or origin not in ("ai_created", "ai_edited")
        else ", in an ingredient"
    )
    if types:
        head += f" ({', '.join(dict.fromkeys(types))}{where})"
    maker = evidence.get("claim_generator") or ", ".join(evidence.get("software_agents") or [])
    parts = [head + (f" by {maker}" if maker else "")]
    if evidence.get("issuer"):
        parts.append(f"signed by {evidence['issuer']}")
    parts.append(_validity(evidence))
    return "; ".join(parts)


def _validity(evidence: Mapping[str, Any]) -> str:
    words = [str(evidence.get("validation_state") or "unvalidated")]
    for flag, text in (
        ("signer_untrusted", "signer untrusted"),
        ("cert_expired", "certificate expired"),
        ("cert_invalid", "certificate invalid"),
        ("cert_revoked", "certificate revoked"),
    ):
        if evidence.get(flag):
            words.append(text)
    if evidence.get("tampered"):
        codes = [c for c in evidence.get("failure_codes") or [] if "mismatch" in c]
        words.append("TAMPERED" + (f" ({', '.join(codes[:2])})" if codes else ""))
    return ", ".join(words)
