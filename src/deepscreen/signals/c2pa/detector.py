"""C2PA Content Credentials detector: 1.0 when any manifest declares AI origin, 0.0 when they
declare a capture or procedural (non-AI) origin with the binding intact, else it abstains. Read
strictly offline; signer trust, expiry and tampering are evidence flags, not score changes."""

from __future__ import annotations

import json
import re
from io import BytesIO
from typing import Any, ClassVar

import c2pa

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.c2pa.store import MAX_CHARS, StoreReading, read_store
from deepscreen.signals.c2pa.summary import c2pa_summary

# Verifying a hard binding hashes the whole file (measured ~4 ms/MB), so 200 MB bounds a read
# to about a second; larger files abstain unread. The JSON cap bounds json.loads on odd stores.
MAX_BYTES = 200 * 1024 * 1024
MAX_JSON_CHARS = 32 * 1024 * 1024
NO_MANIFEST = "no C2PA manifest"
REMOTE_MANIFEST = "C2PA referenced, unverifiable offline"
NO_SOURCE_TYPE = "manifest declares no digital source type"
AI_NOTE = (
    "AI origin declared in a signed manifest; an untrusted, expired or invalid signer and a "
    "broken binding are reported as flags and do not lower the score"
)
# Never touch the network: no remote (cloud) manifests, no OCSP revocation look-ups.
OFFLINE_SETTINGS: dict[str, dict[str, bool]] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}
}
_URL = re.compile(r"https?://[^\s\"']+")


class C2paDetector:
    """Reads the C2PA manifest store embedded in ``item.data`` (docs/signals.md, 'Content
    Credentials').

    Score: 1.0 when any manifest in the store (ingredients included) declares AI origin
    (``store.StoreReading.origin`` says which claim wins when manifests disagree):
    digitalSourceType trainedAlgorithmicMedia/trainedAlgorithmicData (``origin`` "ai_created"),
    compositeWithTrainedAlgorithmicMedia/compositeSynthetic ("ai_edited"), or a
    ``c2pa.ai_generated_content`` assertion. 0.0 when no manifest declares AI, one declares a
    capture (digitalCapture, computationalCapture, compositeCapture, negativeFilm, positiveFilm,
    print: "captured") or procedural origin (algorithmicMedia: "algorithmic", made without a
    trained model, e.g. the c2pa test gradients) and the binding is intact. Abstains on: no
    manifest; a manifest only referenced remotely ("C2PA referenced, unverifiable offline");
    no digital source type; other source types only; a broken binding without AI; an
    unsupported mime type; data over ``max_bytes``; any c2pa or JSON error (named).

    Evidence (JSON, bounded: lists ≤ 32, strings ≤ 200 chars): ``manifest_present``,
    ``manifest_count``, ``active_manifest``, ``validation_state`` (Valid/Invalid/Trusted),
    ``failure_codes``, flags ``tampered`` (``store.TAMPER_CODES`` in any manifest),
    ``binding_intact``, ``signer_untrusted``, ``cert_expired``, ``cert_invalid``, ``cert_revoked``;
    ``claim_generator``/``issuer`` (active manifest) and ``claim_generators``/``issuers`` (all),
    ``software_agents``, ``digital_source_types`` ({manifest, action, type}), ``ai_assertion``,
    ``ai_in_active_manifest``, ``origin``; ``remote_manifest``/``remote_url`` and ``read_error``
    when reading failed. Without ``trust_anchors_pem`` every signer reads as untrusted.
    """

    name: ClassVar[str] = "c2pa"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset(
        {MediaKind.IMAGE, MediaKind.VIDEO, MediaKind.DOCUMENT}
    )

    def __init__(self, max_bytes: int = MAX_BYTES, trust_anchors_pem: str | None = None) -> None:
        """``max_bytes``: larger files abstain unread. ``trust_anchors_pem``: root certificates
        (PEM) whose signers read as trusted ("Trusted"); by default none, so all are untrusted."""
        self.max_bytes = max_bytes
        self.trust_anchors_pem = trust_anchors_pem
        self._context: c2pa.Context | None = None
        self._mime_types: frozenset[str] = frozenset()

    def load(self) -> None:
        """Create the offline reading context once (native library state, not at import)."""
        if self._context is None:
            settings: dict[str, Any] = {"verify": dict(OFFLINE_SETTINGS["verify"])}
            if self.trust_anchors_pem:
                settings["trust"] = {"trust_anchors": self.trust_anchors_pem}
            self._mime_types = frozenset(c2pa.Reader.get_supported_mime_types())
            self._context = c2pa.Context.from_dict(settings)

    def detect(self, item: MediaItem) -> SignalResult:
        result = self._detect(item)
        return _documented(result) if item.kind is MediaKind.DOCUMENT else result

    def _detect(self, item: MediaItem) -> SignalResult:
        if item.kind not in self.media_kinds:
            return self._abstain(f"unsupported media kind {item.kind.value!r}")
        if item.size_bytes > self.max_bytes:
            return self._abstain(
                f"file too large to read C2PA ({item.size_bytes} > {self.max_bytes} bytes)"
            )
        self.load()
        if item.mime not in self._mime_types:
            return self._abstain(f"mime type {item.mime!r} is not supported by c2pa")
        try:
            text = self._read_json(item)
        except c2pa.C2paError as exc:
            return self._read_failed(exc)
        if text is None:
            return self._abstain(NO_MANIFEST, {"manifest_present": False})
        if len(text) > MAX_JSON_CHARS:
            reason = f"C2PA manifest store too large ({len(text)} JSON chars)"
            return self._abstain(reason, {"manifest_present": True})
        try:
            store = json.loads(text)
        except (ValueError, RecursionError) as exc:
            reason = f"C2PA manifest store is not valid JSON ({type(exc).__name__}: {exc})"
            return self._abstain(reason[:MAX_CHARS], {"manifest_present": True})
        return self._decide(read_store(store))

    def get_examples(self) -> list[MediaItem]:
        """Signed (throw-away test certificate) AI JPEG, capture JPEG and AI MP4, and an
        unsigned JPEG (abstains)."""
        # Test data from the plug-in kit (the one import of it outside tests: pyproject names it)
        from deepscreen.signals.testing import c2pa_fixtures

        width, height = c2pa_fixtures.SIZE
        return [
            _item(c2pa_fixtures.ai_created("image/jpeg"), "image/jpeg", width, height),
            _item(c2pa_fixtures.captured_jpeg(), "image/jpeg", width, height),
            _item(c2pa_fixtures.image(colour=30), "image/jpeg", width, height),
            _item(c2pa_fixtures.ai_created("video/mp4"), "video/mp4", 0, 0, MediaKind.VIDEO),
            _item(
                c2pa_fixtures.ai_created("application/pdf"),
                "application/pdf",
                0,
                0,
                MediaKind.DOCUMENT,
            ),
        ]

    def _read_json(self, item: MediaItem) -> str | None:
        """The store as JSON text; None when the file carries no manifest."""
        reader = c2pa.Reader.try_create(item.mime, BytesIO(item.data), context=self._context)
        if reader is None:
            return None
        with reader:
            text: str = reader.json()
        return text

    def _read_failed(self, exc: c2pa.C2paError) -> SignalResult:
        message = str(exc)
        if isinstance(exc, c2pa.C2paError.RemoteManifest) or message.startswith("Remote"):
            url = _URL.search(message)
            evidence = {
                "manifest_present": False,
                "remote_manifest": True,
                "remote_url": url.group(0)[:MAX_CHARS] if url else None,
            }
            evidence["summary"] = c2pa_summary(evidence)
            return self._abstain(REMOTE_MANIFEST, evidence)
        kind = type(exc).__name__.removeprefix("_C2pa") or "C2paError"
        detail = message if message.startswith(kind) else f"{kind}: {message}"
        reason = f"C2PA manifest unreadable: {detail}"[:MAX_CHARS]
        return self._abstain(reason, {"manifest_present": None, "read_error": kind})

    def _decide(self, reading: StoreReading) -> SignalResult:
        evidence = reading.to_evidence()
        evidence["summary"] = c2pa_summary(evidence)
        if reading.ai_declared:
            evidence["note"] = AI_NOTE
            return SignalResult.scored(self.name, self.version, 1.0, evidence)
        origin = reading.origin
        if origin in ("captured", "algorithmic"):
            if reading.binding_intact:
                return SignalResult.scored(self.name, self.version, 0.0, evidence)
            codes = ", ".join(reading.failure_codes)
            return self._abstain(f"{origin} origin declared but binding broken ({codes})", evidence)
        if not reading.digital_source_types:
            return self._abstain(NO_SOURCE_TYPE, evidence)
        types = ", ".join(sorted(reading.source_types))
        reason = f"manifest declares no AI, capture or algorithmic source type ({types})"
        return self._abstain(reason[:MAX_CHARS], evidence)

    def _abstain(self, reason: str, evidence: dict[str, Any] | None = None) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, reason, evidence)


PIXELS_NOT_EXAMINED = "a document: its declaration was read; its pixels were not examined"


def _documented(result: SignalResult) -> SignalResult:
    """A PDF's result, saying that nothing looked at what the document shows."""
    evidence = {**result.evidence, "pixels_examined": False, "pixels_note": PIXELS_NOT_EXAMINED}
    if "summary" in evidence:
        evidence["summary"] = f"{evidence['summary']} (PDF: pixels not examined)"
    if result.abstained:
        return SignalResult.abstain(
            result.detector, result.version, result.abstain_reason or "", evidence
        )
    return SignalResult.scored(result.detector, result.version, result.score or 0.0, evidence)


def _item(
    data: bytes, mime: str, width: int, height: int, kind: MediaKind = MediaKind.IMAGE
) -> MediaItem:
    return MediaItem(content_item_id(data), kind, mime, width, height, data, source="example")
