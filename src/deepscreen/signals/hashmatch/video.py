"""Video matching for the hashmatch detector: per-frame PDQ, matched when enough frames match."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from deepscreen.core.banks import BankPurpose
from deepscreen.core.media import MediaItem
from deepscreen.core.signals import SignalResult
from deepscreen.signals.hashmatch.banks import BankMatch, BankMatcher
from deepscreen.signals.hashmatch.pdq import PDQ_MIN_QUALITY, pdq_hash
from deepscreen.signals.video_frames import VideoUnreadable, sample_frames

if TYPE_CHECKING:
    from deepscreen.signals.hashmatch.detector import HashMatchDetector

MIN_QUALITY = PDQ_MIN_QUALITY
MIN_FRAME_FRACTION = 0.5


def detect_video(
    detector: HashMatchDetector, matcher: BankMatcher, item: MediaItem
) -> SignalResult:
    """The rule: for each bank, the share of usable frames with a match in that bank; the
    video matches a bank at a share >= 0.5. Allow banks override block banks, as for images."""
    name, version = detector.name, detector.version
    try:
        frames = sample_frames(item.data)
    except VideoUnreadable as exc:
        return SignalResult.abstain(name, version, f"video unreadable: {exc}")
    hashed = [(f.time_s, pdq_hash(f.image)) for f in frames]
    usable = [(t, h) for t, h in hashed if h.quality >= MIN_QUALITY]
    evidence: dict[str, Any] = {
        "frames": [{"t": round(t, 3), "pdq": h.hex, "quality": h.quality} for t, h in hashed],
        "usable_frames": len(usable),
    }
    if not usable:
        reason = f"no frame of {len(hashed)} sampled has PDQ quality >= {MIN_QUALITY}"
        return SignalResult.abstain(name, version, reason, evidence)
    per_bank = _per_bank(matcher, [h.hex for _, h in usable])
    evidence["banks"] = {
        bank: {
            "matched_frames": n,
            "fraction": round(n / len(usable), 3),
            "best_distance": best.distance,
            "purpose": best.purpose.value,
        }
        for bank, (n, best) in per_bank.items()
    }
    hits = {b: best for b, (n, best) in per_bank.items() if n / len(usable) >= MIN_FRAME_FRACTION}
    allow = [m for m in hits.values() if m.purpose is BankPurpose.ALLOW]
    block = [m for m in hits.values() if m.purpose is BankPurpose.BLOCK]
    for chosen, score in ((allow, 0.0), (block, 1.0)):
        if chosen:
            best = min(chosen, key=lambda m: m.distance)
            evidence.update(best.to_evidence())
            n = per_bank[best.bank][0]
            evidence["summary"] = (
                f"video: {n}/{len(usable)} frames match bank {best.bank} "
                f"({best.purpose.value}), best distance {best.distance}"
            )
            return SignalResult.scored(name, version, score, evidence)
    reason = f"no bank matched at least half of {len(usable)} usable frames"
    return SignalResult.abstain(name, version, reason, evidence)


def _per_bank(matcher: BankMatcher, hexes: list[str]) -> dict[str, tuple[int, BankMatch]]:
    """bank → (frames with a match in it, its nearest match over all frames)."""
    counts: dict[str, int] = defaultdict(int)
    best: dict[str, BankMatch] = {}
    for hex_hash in hexes:
        seen: set[str] = set()
        for match in matcher.match(hex_hash):
            if match.bank not in seen:
                counts[match.bank] += 1
                seen.add(match.bank)
            if match.bank not in best or match.distance < best[match.bank].distance:
                best[match.bank] = match
    return {bank: (counts[bank], best[bank]) for bank in counts}
