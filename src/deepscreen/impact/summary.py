"""The impact summary (the demo's headline table): the metric table's whole-store rows, worded,
with decisions by action, flagged confusion counts and the false-positive review cost.
For users: docs/metrics.md, 'Demo summary'; notes: docs/internals/impact.md."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core import metrics as definitions
from deepscreen.core.costs import CostInputs

SUMMARY_METRICS: tuple[str, ...] = (
    "uploads",
    "violating_per_10k_uploads",
    "sent_to_review",
    "actioned_total",
    "precision_any_action",
    "recall_any_action",
    "false_positive_rate_any_action",
    "precision_flagged",
    "recall_flagged",
    "false_positive_rate_flagged",
)
"""The metric-table rows the summary shows, in order."""

FP_RATE = "false_positive_rate_flagged"
FP_REVIEW_COST = (
    f"{FP_RATE} × review cost per item × monthly volume: the monthly cost of reviewing the "
    "non-violating items the policy flags, if the labelled items are representative of uploads"
)


@dataclass(frozen=True, slots=True)
class MoneyEstimate:
    value: float
    ci_low: float
    ci_high: float
    currency: str


@dataclass(frozen=True)
class ImpactSummary:
    rows: Mapping[str, Mapping[str, Any]]
    """Metric-table rows (value, ci_low, ci_high, n) by metric name; absent when not computed."""
    actions: dict[str, int]
    confusion: dict[str, int]
    costs: CostInputs
    fp_review_cost: MoneyEstimate | None

    @property
    def uploads(self) -> int:
        row = self.rows.get("uploads")
        return 0 if row is None else int(row["value"])

    def to_dict(self) -> dict[str, Any]:
        metrics = {}
        for name in SUMMARY_METRICS:
            row = self.rows.get(name)
            m = definitions.metric(name)
            metrics[name] = {
                "label": m.label,
                "unit": m.unit,
                "value": None if row is None else row["value"],
                "ci_low": None if row is None else row["ci_low"],
                "ci_high": None if row is None else row["ci_high"],
                "n": 0 if row is None else int(row["n"]),
            }
        return {
            "uploads": self.uploads,
            "metrics": metrics,
            "actions": dict(self.actions),
            "confusion_flagged": dict(self.confusion),
            "costs": {
                "currency": self.costs.currency,
                "review_cost_per_item": self.costs.review_cost_per_item,
                "monthly_volume": self.costs.monthly_volume,
                "source": self.costs.source,
            },
            "fp_review_cost_per_month": None
            if self.fp_review_cost is None
            else {
                "value": self.fp_review_cost.value,
                "ci_low": self.fp_review_cost.ci_low,
                "ci_high": self.fp_review_cost.ci_high,
                "currency": self.fp_review_cost.currency,
                "formula": FP_REVIEW_COST,
            },
            "definitions": {
                **{name: definitions.definition(name) for name in SUMMARY_METRICS},
                "fp_review_cost_per_month": FP_REVIEW_COST,
                "actions": "items by their automated decision (the first decision recorded)",
                "confusion_flagged": (
                    "labelled items by flagged (automated decision other than allow) × violating"
                ),
            },
        }


def summarise(
    table: pa.Table, items: pa.Table, *, costs: CostInputs | None = None
) -> ImpactSummary:
    """The summary of ``table`` (``impact.metrics.TABLE_SCHEMA``; its rows for period, policy
    and segment ``all`` are used; a table without them, e.g. by month, is refused with
    ``ValueError``) and the ``items`` it was computed from (``ITEM_SCHEMA``)."""
    costs = costs or CostInputs()
    whole = [
        r
        for r in table.to_pylist()
        if (r["period"], r["policy_revision"], r["segment"]) == ("all", "all", "all")
    ]
    if table.num_rows and not whole:
        raise ValueError(
            "the impact summary needs the metric table's whole-store rows (period, policy and "
            "segment 'all'): build it with metric_table(..., period='all')"
        )
    rows = {r["metric"]: r for r in whole if r["metric"] in SUMMARY_METRICS}
    fpr = rows.get(FP_RATE)
    return ImpactSummary(
        rows=rows,
        actions=_actions(items),
        confusion=_confusion(items),
        costs=costs,
        fp_review_cost=fp_review_cost(fpr, costs),
    )


def _actions(items: pa.Table) -> dict[str, int]:
    counts = pc.value_counts(pc.drop_null(items.column("action"))).to_pylist()
    return dict(sorted((str(c["values"]), int(c["counts"])) for c in counts))


def _confusion(items: pa.Table) -> dict[str, int]:
    """tp/fp/fn/tn of labelled items, flagged = automated decision other than allow."""
    violating = items.column("violating")
    labelled = np.asarray(pc.is_valid(violating).to_numpy(zero_copy_only=False), dtype=bool)
    bad = np.asarray(pc.fill_null(violating, False).to_numpy(zero_copy_only=False), dtype=bool)
    action = pc.fill_null(items.column("action"), "allow")
    flagged = np.asarray(pc.not_equal(action, "allow").to_numpy(zero_copy_only=False), dtype=bool)
    return {
        "tp": int(np.count_nonzero(labelled & flagged & bad)),
        "fp": int(np.count_nonzero(labelled & flagged & ~bad)),
        "fn": int(np.count_nonzero(labelled & ~flagged & bad)),
        "tn": int(np.count_nonzero(labelled & ~flagged & ~bad)),
    }


def fp_review_cost(fpr: Mapping[str, Any] | None, costs: CostInputs) -> MoneyEstimate | None:
    """``false_positive_rate_flagged`` × review cost per item × monthly volume, with the rate's
    interval carried through; None when an input is missing."""
    if costs.review_cost_per_item is None or costs.monthly_volume is None or fpr is None:
        return None
    value, low, high = fpr["value"], fpr["ci_low"], fpr["ci_high"]
    if value is None or low is None or high is None:
        return None
    factor = costs.review_cost_per_item * costs.monthly_volume
    return MoneyEstimate(value * factor, low * factor, high * factor, costs.currency)
