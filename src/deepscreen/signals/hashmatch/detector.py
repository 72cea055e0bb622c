"""Hash-bank detector: 1.0 when the picture matches a *block* bank (e.g. confirmed deepfakes),
0.0 when it matches an *allow* bank of known-authentic originals (which overrides block
matches), otherwise it abstains. PDQ hashes of quality < 50 are never matched."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.examples import video_item
from deepscreen.signals.hashmatch.banks import BankMatch, BankMatcher
from deepscreen.signals.hashmatch.pdq import PDQ_MIN_QUALITY, item_pdq_hash, pdq_hash
from deepscreen.signals.hashmatch.video import detect_video

MIN_QUALITY = PDQ_MIN_QUALITY  # pdq/README.md: discard hashes with quality <= 49
MAX_MATCHES = 8


class HashMatchDetector:
    """Matches an image's PDQ hash against the hash banks held by a ``BankMatcher``.

    Score: 1.0 when some *block* bank holds a hash within that bank's threshold (the item is
    a copy of one already judged, e.g. a confirmed deepfake re-uploaded resized or
    recompressed); 0.0 when an *allow* bank matches (a known-authentic original: this
    suppresses any block match, which stays listed in the evidence); abstain otherwise — no
    match says nothing about the item — and when the PDQ quality is below 50 (too little
    detail for a reliable hash). Evidence always holds the item's ``pdq`` and ``quality`` so
    that a later review can bank it without decoding the file again.

    Video (MP4, MOV, WebM): one frame a second (at most 60) is decoded with PyAV and hashed;
    the video matches a bank when at least half of its usable frames (quality >= 50) match
    that bank — banked videos' frames and banked images alike. Evidence lists every sampled
    frame's hash (``frames``) and the per-bank frame counts.
    """

    name: ClassVar[str] = "hashmatch"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})

    def __init__(self, matcher: BankMatcher | None = None) -> None:
        self.matcher = matcher
        self._configured = matcher is not None  # bootstrap injects the banks of the store

    def load(self) -> None:
        if self.matcher is None:
            self.matcher = BankMatcher()  # no banks configured: every item abstains

    def detect(self, item: MediaItem) -> SignalResult:
        if self.matcher is None:
            self.load()
        assert self.matcher is not None
        if item.kind is MediaKind.VIDEO:
            return detect_video(self, self.matcher, item)
        if item.kind not in self.media_kinds or item.pixels is None:
            return SignalResult.abstain(self.name, self.version, "no decoded image to hash")
        pdq = item_pdq_hash(item)  # on the item's shared downscale
        evidence: dict[str, Any] = {"pdq": pdq.hex, "quality": pdq.quality}
        if pdq.quality < MIN_QUALITY:
            reason = f"PDQ quality {pdq.quality} < {MIN_QUALITY}: too little detail to match"
            return SignalResult.abstain(self.name, self.version, reason, evidence)
        matches = self.matcher.match(pdq.hex)
        evidence["matches"] = [m.to_evidence() for m in matches[:MAX_MATCHES]]
        allow = [m for m in matches if m.purpose is BankPurpose.ALLOW]
        block = [m for m in matches if m.purpose is BankPurpose.BLOCK]
        if allow:
            evidence.update(allow[0].to_evidence(), suppressed_block_matches=len(block))
            evidence["summary"] = _summary("known-authentic original", allow[0], len(block))
            return SignalResult.scored(self.name, self.version, 0.0, evidence)
        if block:
            evidence.update(block[0].to_evidence())
            evidence["summary"] = _summary("matches", block[0], 0)
            return SignalResult.scored(self.name, self.version, 1.0, evidence)
        searched = f"{len(self.matcher)} hashes in {self.matcher.bank_count} banks"
        return SignalResult.abstain(
            self.name, self.version, f"no bank match ({searched})", evidence
        )

    def get_examples(self) -> list[MediaItem]:
        """A banked picture (block), its recompressed copy, an unrelated picture, and a short
        MP4 of the banked picture.

        A detector built without banks (as the conformance kit builds it) gets a one-entry
        example bank holding the first picture; a detector given real banks is not touched.
        """
        banked, copy, other = _example_image(1), _example_image(1, quality=70), _example_image(2)
        if not self._configured:
            self.matcher = example_matcher(pdq_hash(_decode(banked)).hex)
        return [_item(banked), _item(copy), _item(other), video_item(_decode(banked))]


def _summary(kind: str, m: BankMatch, suppressed: int) -> str:
    text = (
        f"{kind} in bank {m.bank} ({m.purpose.value}): distance {m.distance}/"
        f"{m.threshold}, banked item {m.item_id or 'unknown'} by {m.added_by}"
    )
    return text + (f"; suppresses {suppressed} block match(es)" if suppressed else "")


def example_matcher(hash_hex: str) -> BankMatcher:
    """A matcher with one block bank holding ``hash_hex`` (for examples and tests)."""
    at = datetime(2026, 1, 1, tzinfo=UTC)
    matcher = BankMatcher()
    matcher.set_bank(Bank("confirmed_deepfakes", BankPurpose.BLOCK, at, "example"))
    matcher.add([BankEntry("confirmed_deepfakes", hash_hex, at, "example", "example")])
    return matcher


def _example_image(seed: int, quality: int = 92) -> bytes:
    """Smooth random blobs: enough detail for a PDQ quality well above 50."""
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    image = blobs.resize((320, 240), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _decode(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("RGB")


def _item(data: bytes) -> MediaItem:
    pixels = _decode(data)
    return MediaItem(
        content_item_id(data),
        MediaKind.IMAGE,
        "image/jpeg",
        pixels.width,
        pixels.height,
        data,
        "example",
        pixels,
    )
