"""Interpretation of a C2PA manifest store (the reader's JSON; docs/signals.md, 'Content
Credentials'): declared origin and validation flags. Pure functions over untrusted JSON; reading the
file is ``detector``'s job."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Origin = Literal["ai_created", "ai_edited", "algorithmic", "captured", "unknown"]

MAX_LIST = 32
MAX_CHARS = 200

# Digital source types (IPTC + C2PA vocabularies, docs/signals.md, 'Content Credentials'), by the
# term after the last "/".
AI_CREATED_TYPES = frozenset({"trainedAlgorithmicMedia", "trainedAlgorithmicData"})
AI_EDITED_TYPES = frozenset({"compositeWithTrainedAlgorithmicMedia", "compositeSynthetic"})
# Procedural media made "purely by an algorithm not based on any sampled training data" (IPTC).
# Not AI: the c2pa test generator labels its gradients with it (C.jpg, CACAE-uri-CA.jpg).
ALGORITHMIC_TYPES = frozenset({"algorithmicMedia"})
CAPTURE_TYPES = frozenset(
    {
        "digitalCapture",
        "computationalCapture",
        "compositeCapture",
        "negativeFilm",
        "positiveFilm",
        "print",
    }
)
AI_ASSERTION = "c2pa.ai_generated_content"

# Validation failures meaning that content or a claim changed after signing: a hard binding
# (data/BMFF/boxes/collection hash), an assertion's hashed URI, a claim or ingredient signature.
TAMPER_CODES = frozenset(
    {
        "assertion.dataHash.mismatch",
        "assertion.bmffHash.mismatch",
        "assertion.boxesHash.mismatch",
        "assertion.collectionHash.mismatch",
        "assertion.hashedURI.mismatch",
        "assertion.missing",
        "claimSignature.mismatch",
        "ingredient.claimSignature.mismatch",
        "ingredient.manifest.mismatch",
    }
)
# Besides tampering, the binding is not intact when it or the signature is absent or malformed.
_UNBOUND_CODES = frozenset({"claim.hardBindings.missing", "claimSignature.missing"})


@dataclass(slots=True)
class StoreReading:
    """What one manifest store declares, gathered over every manifest (ingredients included)."""

    manifest_count: int = 0
    active_manifest: str | None = None
    validation_state: str | None = None
    failure_codes: list[str] = field(default_factory=list)
    claim_generator: str | None = None
    claim_generators: list[str] = field(default_factory=list)
    issuer: str | None = None
    issuers: list[str] = field(default_factory=list)
    software_agents: list[str] = field(default_factory=list)
    digital_source_types: list[dict[str, str]] = field(default_factory=list)
    ai_assertion: bool = False
    ai_in_active_manifest: bool = False

    @property
    def source_types(self) -> set[str]:
        return {entry["type"] for entry in self.digital_source_types}

    @property
    def origin(self) -> Origin:
        """The declared origin of the asset in hand. AI beats any other claim; the active
        manifest's AI declaration describes this asset, so it beats its ingredients' (ocsp.jpg:
        a Photoshop composite with a Firefly component is "ai_edited"); when the active manifest
        declares no AI, the ingredients decide, created over edited (ChatGPT/Gemini edits). A
        procedural (algorithmic) part beats a capture claim."""
        found = self.source_types
        active = {
            e["type"] for e in self.digital_source_types if e["manifest"] == self.active_manifest
        }
        for scope in (active, found):
            if scope & AI_CREATED_TYPES:
                return "ai_created"
            if scope & AI_EDITED_TYPES:
                return "ai_edited"
        if self.ai_assertion:
            return "ai_created"  # the assertion says "AI-generated" without saying how
        if found & ALGORITHMIC_TYPES:
            return "algorithmic"
        if found & CAPTURE_TYPES:
            return "captured"
        return "unknown"

    @property
    def ai_declared(self) -> bool:
        return self.origin in ("ai_created", "ai_edited")

    @property
    def tampered(self) -> bool:
        return any(code in TAMPER_CODES for code in self.failure_codes)

    @property
    def binding_intact(self) -> bool:
        return not any(
            code in TAMPER_CODES or code in _UNBOUND_CODES or code.endswith(".malformed")
            for code in self.failure_codes
        )

    def to_evidence(self) -> dict[str, Any]:
        codes = set(self.failure_codes)
        return {
            "manifest_present": True,
            "manifest_count": self.manifest_count,
            "active_manifest": self.active_manifest,
            "validation_state": self.validation_state,
            "failure_codes": self.failure_codes[:MAX_LIST],
            "tampered": self.tampered,
            "binding_intact": self.binding_intact,
            "signer_untrusted": "signingCredential.untrusted" in codes,
            "cert_expired": "signingCredential.expired" in codes,
            "cert_invalid": "signingCredential.invalid" in codes,
            "cert_revoked": "signingCredential.ocsp.revoked" in codes,
            "claim_generator": self.claim_generator,
            "claim_generators": self.claim_generators,
            "issuer": self.issuer,
            "issuers": self.issuers,
            "software_agents": self.software_agents,
            "digital_source_types": self.digital_source_types,
            "ai_assertion": self.ai_assertion,
            "ai_in_active_manifest": self.ai_in_active_manifest,
            "origin": self.origin,
        }


def read_store(store: object) -> StoreReading:
    """Gather a ``StoreReading`` from ``json.loads(reader.json())``; wrong shapes are skipped."""
    root = _mapping(store)
    manifests = _mapping(root.get("manifests"))
    active = _text(root.get("active_manifest"))
    reading = StoreReading(
        manifest_count=len(manifests),
        active_manifest=active,
        validation_state=_text(root.get("validation_state")),
        failure_codes=_failure_codes(root),
    )
    # The reader's manifest map has no stable order: walk the active manifest first, then by label.
    for label in sorted(manifests, key=lambda key: (key != active, str(key))):
        is_active = label == active
        _read_manifest(
            reading, str(label)[:MAX_CHARS], _mapping(manifests[label]), is_active=is_active
        )
    return reading


def _read_manifest(
    reading: StoreReading, label: str, manifest: Mapping[str, Any], *, is_active: bool
) -> None:
    generator = _claim_generator(manifest)
    issuer = _text(_mapping(manifest.get("signature_info")).get("issuer"))
    if is_active:
        reading.claim_generator, reading.issuer = generator, issuer
    _add_unique(reading.claim_generators, generator)
    _add_unique(reading.issuers, issuer)
    for assertion in map(_mapping, _sequence(manifest.get("assertions"))):
        name = _text(assertion.get("label")) or ""
        if name.startswith(AI_ASSERTION):
            reading.ai_assertion = True
            reading.ai_in_active_manifest |= is_active
        elif name.startswith("c2pa.actions"):
            _read_actions(reading, label, _mapping(assertion.get("data")), is_active=is_active)


def _read_actions(
    reading: StoreReading, label: str, data: Mapping[str, Any], *, is_active: bool
) -> None:
    # v2 "templates" carry defaults (incl. digitalSourceType) for the actions they name.
    entries = [*_sequence(data.get("actions")), *_sequence(data.get("templates"))]
    for action in map(_mapping, entries):
        _add_unique(reading.software_agents, _agent_name(action.get("softwareAgent")))
        term = _source_type(action.get("digitalSourceType"))
        if term is None or len(reading.digital_source_types) >= MAX_LIST:
            continue
        entry = {"manifest": label, "action": _text(action.get("action")) or "", "type": term}
        if entry not in reading.digital_source_types:
            reading.digital_source_types.append(entry)
        if term in AI_CREATED_TYPES | AI_EDITED_TYPES:
            reading.ai_in_active_manifest |= is_active


def _failure_codes(root: Mapping[str, Any]) -> list[str]:
    """Failure codes of the active manifest and of every ingredient delta, sorted and unique."""
    statuses = list(_sequence(root.get("validation_status")))
    results = _mapping(root.get("validation_results"))
    statuses += _sequence(_mapping(results.get("activeManifest")).get("failure"))
    for delta in map(_mapping, _sequence(results.get("ingredientDeltas"))):
        statuses += _sequence(_mapping(delta.get("validationDeltas")).get("failure"))
    codes = {_text(_mapping(status).get("code")) for status in statuses}
    return sorted(code for code in codes if code)  # a fixed vocabulary: bounded by c2pa-rs


def _claim_generator(manifest: Mapping[str, Any]) -> str | None:
    """The v1 ``claim_generator`` string, else the v2 ``claim_generator_info`` names."""
    v1 = _text(manifest.get("claim_generator"))
    if v1:
        return v1
    names = [
        _text(_mapping(info).get("name"))
        for info in _sequence(manifest.get("claim_generator_info"))
    ]
    return "; ".join(n for n in names if n)[:MAX_CHARS] or None


def _agent_name(agent: object) -> str | None:
    """``softwareAgent`` is a string (v1) or a generator-info mapping with a ``name`` (v2)."""
    if isinstance(agent, Mapping):
        return _text(agent.get("name"))
    return _text(agent)


def _source_type(value: object) -> str | None:
    """The term of a digital source type URI; None for absent values and C2PA's ``empty``."""
    text = _text(value)
    term = text.rstrip("/").rsplit("/", 1)[-1] if text else None
    return None if not term or term == "empty" else term


def _add_unique(values: list[str], value: str | None) -> None:
    if value and value not in values and len(values) < MAX_LIST:
        values.append(value)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: object) -> Iterable[Any]:
    return value if isinstance(value, list) else ()


def _text(value: object) -> str | None:
    return value[:MAX_CHARS] if isinstance(value, str) else None
