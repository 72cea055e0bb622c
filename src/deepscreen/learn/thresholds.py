"""The two operating thresholds of a detector (likely AI, likely real) and how they are chosen
on out-of-fold scores."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from deepscreen.learn.eval_inputs import _pair
from deepscreen.signals.learned.head import verdict_of

_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Two operating thresholds chosen on out-of-fold scores.

    ``score >= likely_ai`` is *likely AI-generated*; ``score < likely_real`` is *likely real*;
    anything in between is *inconclusive*. Always ``likely_real <= likely_ai``.
    The ``*_at_*`` fields are the rates observed on the data the thresholds were chosen on.
    """

    likely_ai: float
    likely_real: float
    target_fpr: float
    target_fnr: float
    fpr_at_likely_ai: float
    tpr_at_likely_ai: float
    fnr_at_likely_real: float

    def __post_init__(self) -> None:
        for f in fields(self):
            if not math.isfinite(getattr(self, f.name)):
                raise ValueError(f"threshold field {f.name} must be finite")
        if self.likely_real > self.likely_ai:
            raise ValueError(
                f"likely_real ({self.likely_real}) must not exceed likely_ai ({self.likely_ai})"
            )

    def classify(self, score: float) -> str:
        """'likely_ai', 'likely_real' or 'inconclusive' for one score."""
        return verdict_of(score, likely_ai=self.likely_ai, likely_real=self.likely_real)

    def to_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thresholds:
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"thresholds missing field(s): {', '.join(missing)}")
        return cls(**{name: float(data[name]) for name in names})


def choose_thresholds(
    y: npt.ArrayLike,
    oof_scores: npt.ArrayLike,
    *,
    target_fpr: float = 0.01,
    target_fnr: float = 0.05,
) -> Thresholds:
    """Choose the likely-AI and likely-real thresholds on out-of-fold scores.

    * ``likely_ai`` is the smallest observed score t such that the fraction of negatives with
      ``score >= t`` is <= ``target_fpr``. If even the highest observed score gives a higher FPR
      (many negatives tied at the top), it is the next float above the highest score, so
      nothing is flagged (FPR 0, TPR 0).
    * ``likely_real`` is the largest observed score t such that the fraction of positives with
      ``score < t`` is <= ``target_fnr`` (the smallest score always qualifies, with FNR 0).
    * If ``likely_real > likely_ai`` the two rules overlap; the likely-AI rule wins and
      ``likely_real`` is lowered to ``likely_ai`` (no inconclusive band; the reported FNR is
      recomputed and can only fall).

    Targets must be in (0, 0.5]; both classes must be present.
    """
    for name, target in (("target_fpr", target_fpr), ("target_fnr", target_fnr)):
        if not 0.0 < target <= 0.5:
            raise ValueError(f"{name} must be in (0, 0.5], got {target!r}")
    labels, scores = _pair(y, oof_scores, unit=True, both_classes=True)
    neg = np.sort(scores[labels == 0])
    pos = np.sort(scores[labels == 1])
    candidates = np.unique(scores)

    false_positives = neg.size - np.searchsorted(neg, candidates, side="left")
    ai_ok = false_positives <= target_fpr * neg.size + _TOLERANCE
    if ai_ok.any():
        likely_ai = float(candidates[int(np.argmax(ai_ok))])
    else:
        likely_ai = float(np.nextafter(candidates[-1], np.inf))

    false_negatives = np.searchsorted(pos, candidates, side="left")
    real_ok = false_negatives <= target_fnr * pos.size + _TOLERANCE
    likely_real = min(float(candidates[np.flatnonzero(real_ok)[-1]]), likely_ai)

    return Thresholds(
        likely_ai=likely_ai,
        likely_real=likely_real,
        target_fpr=float(target_fpr),
        target_fnr=float(target_fnr),
        fpr_at_likely_ai=float(np.mean(neg >= likely_ai)),
        tpr_at_likely_ai=float(np.mean(pos >= likely_ai)),
        fnr_at_likely_real=float(np.mean(pos < likely_real)),
    )
