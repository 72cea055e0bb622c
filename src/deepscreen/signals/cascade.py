"""The cascade: expensive detectors run only when the cheap ones have not settled the item; a
skipped one abstains with the reason, so replay stays exact (docs/internals/signals.md)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from deepscreen.core.signals import SignalResult

DECLARING = ("c2pa", "metadata", "watermark")


@dataclass(frozen=True, slots=True)
class Cascade:
    """``enabled=False`` runs every detector on every item (for evaluation)."""

    enabled: bool = True
    expensive: frozenset[str] = frozenset({"learned", "vendor"})
    settle_min_score: float = 0.9
    expensive_share: float = 1.0

    def skips(
        self, detector: str, results: Iterable[SignalResult], item_id: str = ""
    ) -> str | None:
        """The abstain reason for skipping ``detector`` after ``results``, or None to run it."""
        if not self.enabled or detector not in self.expensive:
            return None
        by = settled_by(results, self.settle_min_score)
        if by:
            return f"settled by {by}"
        if self.expensive_share < 1.0 and not in_share(item_id, self.expensive_share):
            return f"not sampled (expensive_share {self.expensive_share:g})"
        return None


def in_share(item_id: str, share: float) -> bool:
    """Whether ``item_id`` falls in the first ``share`` of a uniform hash of ids."""
    digest = hashlib.sha256(f"deepscreen-cascade\0{item_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") < share * 2**64


def settled_by(results: Iterable[SignalResult], settle_min_score: float) -> str | None:
    """The first cheap detector whose result settles the item, or None."""
    for result in results:
        if result.score is None:  # abstained
            continue
        if result.detector == "hashmatch" and result.score >= 1.0:
            return "hashmatch"
        if result.detector in DECLARING and result.score >= settle_min_score:
            return result.detector
        if (
            result.detector == "c2pa"
            and result.score == 0.0
            and result.evidence.get("origin") == "captured"
            and result.evidence.get("binding_intact") is True
        ):
            return "c2pa"
    return None
