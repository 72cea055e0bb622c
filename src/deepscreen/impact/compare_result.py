"""A comparison of two policies as people read it: one ``MetricRow`` per metric (both values,
the delta, its interval, the verdict), the whole ``Comparison``, and what each metric means."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from deepscreen.core import metrics as definitions
from deepscreen.impact.costs import CostModel

COMPARED: tuple[str, ...] = (
    "sent_to_review",
    "actioned_total",
    "precision_any_action",
    "recall_any_action",
    "false_positive_rate_any_action",
    "violating_unactioned_per_10k",
    "views_before_action_mean_violating",
    "violating_exposure",
    "review_cost",
    "wrongful_action_cost",
    "harm",
    "total_cost",
)
"""The comparison's metrics after the action shares; names shared with the metric table
(``sent_to_review``, ``actioned_total``, ``*_any_action``) mean the same there."""

DEFINITIONS: Mapping[str, str] = {name: definitions.definition(name) for name in COMPARED}
"""What every metric means, from ``core.metrics`` (docs/metrics.md, 'Policy comparison')."""


def definition(metric: str) -> str:
    """The metric's definition; action shares of any action are defined too."""
    return definitions.definition(metric)


SIGNIFICANT = "significant"
NO_CHANGE = "no significant change"
NOT_ESTIMABLE = "not estimable"


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric of both policies; ``None`` where it cannot be estimated (zero denominator)."""

    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "delta": self.delta,
            "delta_ci_low": self.ci_low,
            "delta_ci_high": self.ci_high,
            "verdict": self.verdict,
            "definition": definition(self.metric),
        }


COMPARISON_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("baseline", pa.float64()),
        ("candidate", pa.float64()),
        ("delta", pa.float64()),
        ("delta_ci_low", pa.float64()),
        ("delta_ci_high", pa.float64()),
        ("verdict", pa.string()),
        ("definition", pa.string()),
    ]
)


@dataclass(frozen=True)
class Comparison:
    rows: tuple[MetricRow, ...]
    items: int
    labelled: int
    violating: int
    n_boot: int
    seed: int
    confidence: float
    costs: CostModel | None
    cost_notes: tuple[str, ...] = ()
    """Why a cost row (and ``total_cost``) was left out: the missing input, by setting."""

    def row(self, metric: str) -> MetricRow:
        for r in self.rows:
            if r.metric == metric:
                return r
        raise KeyError(metric)

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist([r.to_dict() for r in self.rows], schema=COMPARISON_SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "labelled": self.labelled,
            "violating": self.violating,
            "bootstrap": {
                "method": "paired percentile bootstrap over items",
                "replicates": self.n_boot,
                "seed": self.seed,
                "confidence": self.confidence,
            },
            "costs": None if self.costs is None else self.costs.to_dict(),
            "cost_assumptions": [] if self.costs is None else self.costs.assumptions(),
            "cost_notes": list(self.cost_notes),
            "metrics": [r.to_dict() for r in self.rows],
        }
