"""The impact summary of a scan: prevalence, actions, precision/recall/FPR and FP review cost.

Computed only from recorded events. Ground truth is the latest ``ReviewCompleted`` per item
(a human review or an imported label); items without one are left out of quality metrics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from deepscreen.core.decisions import Action
from deepscreen.core.events import DecisionMade, Event, ItemIngested, ReviewCompleted, Verdict
from deepscreen.impact.estimate import Rate, wilson

DEFINITIONS = {
    "uploads": "distinct items ingested",
    "violating_per_10k": "items whose ground truth is violating ÷ items with ground truth × 10,000",
    "flagged": "items whose latest decision is any action other than allow",
    "precision": "violating flagged items ÷ flagged items (with ground truth)",
    "recall": "violating flagged items ÷ violating items",
    "false_positive_rate": "non-violating flagged items ÷ non-violating items",
    "fp_review_cost": "false-positive rate × review cost per item × monthly volume",
}


@dataclass(frozen=True, slots=True)
class CostInputs:
    """Cost parameters from settings; ``None`` means not configured (no cost is then printed)."""

    currency: str = "USD"
    review_cost_per_item: float | None = None
    monthly_volume: int | None = None
    source: str = "settings"


@dataclass(frozen=True, slots=True)
class MoneyEstimate:
    value: float
    ci_low: float
    ci_high: float
    currency: str


@dataclass(frozen=True)
class ImpactSummary:
    uploads: int
    labelled: int
    violating: Rate
    actions: dict[str, int]
    precision: Rate
    recall: Rate
    false_positive_rate: Rate
    costs: CostInputs
    fp_review_cost: MoneyEstimate | None
    confusion: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        def rate(r: Rate, scale: float = 1.0) -> dict[str, Any]:
            value, low, high = r.scaled(scale)
            return {
                "value": value,
                "ci_low": low,
                "ci_high": high,
                "k": r.k,
                "n": r.n,
                "interval": f"{r.method} {r.confidence:.0%}",
            }

        return {
            "uploads": self.uploads,
            "labelled": self.labelled,
            "violating_per_10k": rate(self.violating, 10_000),
            "actions": dict(self.actions),
            "confusion": dict(self.confusion),
            "precision": rate(self.precision),
            "recall": rate(self.recall),
            "false_positive_rate": rate(self.false_positive_rate),
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
            },
            "definitions": DEFINITIONS,
        }


def summarise(events: Iterable[Event], *, costs: CostInputs | None = None) -> ImpactSummary:
    """One pass over the events; the latest decision and the latest label per item count."""
    costs = costs or CostInputs()
    items: set[str] = set()
    action_of: dict[str, Action] = {}
    truth: dict[str, bool] = {}
    for event in events:
        if isinstance(event, ItemIngested):
            items.add(event.item_id)
        elif isinstance(event, DecisionMade):
            action_of[event.item_id] = event.decision.action
        elif isinstance(event, ReviewCompleted):
            truth[event.item_id] = event.verdict is Verdict.VIOLATING
    confusion = _confusion(action_of, truth)
    tp, fp, fn, tn = (confusion[k] for k in ("tp", "fp", "fn", "tn"))
    fpr = wilson(fp, fp + tn)
    return ImpactSummary(
        uploads=len(items),
        labelled=len(truth),
        violating=wilson(sum(truth.values()), len(truth)),
        actions=dict(sorted(Counter(a.value for a in action_of.values()).items())),
        precision=wilson(tp, tp + fp),
        recall=wilson(tp, tp + fn),
        false_positive_rate=fpr,
        costs=costs,
        fp_review_cost=fp_review_cost(fpr, costs),
        confusion=confusion,
    )


def _confusion(action_of: dict[str, Action], truth: dict[str, bool]) -> dict[str, int]:
    counts = Counter[str]()
    for item_id, violating in truth.items():
        action = action_of.get(item_id)
        if action is None:
            continue
        flagged = action is not Action.ALLOW
        counts[("tp" if violating else "fp") if flagged else ("fn" if violating else "tn")] += 1
    return {k: counts[k] for k in ("tp", "fp", "fn", "tn")}


def fp_review_cost(fpr: Rate, costs: CostInputs) -> MoneyEstimate | None:
    """FPR × review cost per item × monthly volume, with the FPR interval carried through."""
    if costs.review_cost_per_item is None or costs.monthly_volume is None:
        return None
    value, low, high = fpr.scaled(costs.review_cost_per_item * costs.monthly_volume)
    if value is None or low is None or high is None:
        return None
    return MoneyEstimate(value, low, high, costs.currency)
