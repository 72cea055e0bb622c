"""What a detector says about one item: a score in [0, 1], or an abstention with its reason."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

Evidence = Mapping[str, Any]
"""JSON-compatible evidence: str, int, float, bool, None, lists and string-keyed mappings."""


@dataclass(frozen=True, slots=True)
class SignalResult:
    """One detector's result for one item.

    ``score`` is the detector's evidence that the item is AI-generated or synthetic, in [0, 1];
    each detector documents what its score means. ``score is None`` exactly when the detector
    abstained, and then ``abstain_reason`` says why. Abstaining means "cannot tell"; it is never
    evidence that the item is authentic.
    """

    detector: str
    version: str
    score: float | None
    abstain_reason: str | None = None
    evidence: Evidence = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.score is None:
            if not self.abstain_reason:
                raise ValueError(f"{self.detector}: an abstention needs a reason")
        else:
            if self.abstain_reason is not None:
                raise ValueError(f"{self.detector}: a scored result cannot carry an abstain reason")
            if not (0.0 <= self.score <= 1.0) or math.isnan(self.score):
                raise ValueError(f"{self.detector}: score {self.score!r} is outside [0, 1]")

    @classmethod
    def scored(
        cls, detector: str, version: str, score: float, evidence: Evidence | None = None
    ) -> SignalResult:
        return cls(detector, version, float(score), None, dict(evidence or {}))

    @classmethod
    def abstain(
        cls, detector: str, version: str, reason: str, evidence: Evidence | None = None
    ) -> SignalResult:
        return cls(detector, version, None, reason, dict(evidence or {}))

    @property
    def abstained(self) -> bool:
        return self.score is None
