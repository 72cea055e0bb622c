"""What a detector evaluation reports: the metric keys and their definitions, a value with its
interval (``Estimate``) and the whole evaluation (``EvalReport``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

METRIC_KEYS: tuple[str, ...] = (
    "auc",
    "average_precision",
    "tpr_at_1pct_fpr",
    "tpr_at_5pct_fpr",
    "ece",
)

DEFINITIONS: dict[str, str] = {
    "auc": "area under the ROC curve: P(score of a random AI item > score of a random real "
    "item), ties counting one half",
    "average_precision": "sum over thresholds t (descending) of (recall(t) - recall(previous t))"
    " x precision(t)",
    "tpr_at_1pct_fpr": "highest true-positive rate among ROC operating points with "
    "false-positive rate <= 1%",
    "tpr_at_5pct_fpr": "highest true-positive rate among ROC operating points with "
    "false-positive rate <= 5%",
    "ece": "expected calibration error: sum over equal-width score bins of "
    "(items in bin / n) x |mean score - fraction AI-generated|",
    "recall": "AI-generated items with score >= threshold / AI-generated items",
    "fpr": "real items with score >= threshold / real items",
}

ECE_BINS = 10
"""Number of equal-width bins used by :func:`evaluate` for ECE and the reliability table."""


def _opt_float(value: float | np.floating[Any] | None) -> float | None:
    """A plain Python float, or None for None / nan / infinity."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point value and a two-sided interval; ``value`` is None when the metric is undefined.

    ``low``/``high`` are None when the value is undefined or too few bootstrap resamples
    produced a value (see :func:`bootstrap`).
    """

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything :func:`evaluate` measured, with the settings needed to reproduce it.

    ``metrics`` has exactly the keys in :data:`METRIC_KEYS`. ``per_source`` rows are
    ``{source, n, positives, negatives, recall, fpr}`` where ``recall`` (sources with AI items)
    and ``fpr`` (sources with real items) are :class:`Estimate` or None, both at ``threshold``.
    """

    n: int
    positives: int
    negatives: int
    metrics: dict[str, Estimate]
    threshold: float
    per_source: list[dict[str, Any]]
    reliability: list[dict[str, float | int | None]]
    roc: dict[str, list[float | None]]
    pr: dict[str, list[float | None]]
    bootstrap: dict[str, float | int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible data (plain floats/ints/str/None; no nan or infinity)."""
        per_source = []
        for row in self.per_source:
            out = dict(row)
            for key in ("recall", "fpr"):
                est = row.get(key)
                out[key] = est.to_dict() if isinstance(est, Estimate) else None
            per_source.append(out)
        return {
            "n": self.n,
            "positives": self.positives,
            "negatives": self.negatives,
            "metrics": {key: est.to_dict() for key, est in self.metrics.items()},
            "threshold": self.threshold,
            "per_source": per_source,
            "reliability": [dict(row) for row in self.reliability],
            "roc": {key: list(values) for key, values in self.roc.items()},
            "pr": {key: list(values) for key, values in self.pr.items()},
            "bootstrap": dict(self.bootstrap),
        }
