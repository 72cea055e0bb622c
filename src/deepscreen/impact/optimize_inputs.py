"""What the threshold optimiser cannot choose without (``missing_inputs``): scores, labels,
views and cost settings; ``OptimizationRefused`` says which and how to supply them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from deepscreen.core.errors import InvalidInput
from deepscreen.impact.costs import CostModel
from deepscreen.impact.optimize_result import ACTIONS, ENFORCEMENT

SUPPLY_COSTS = (
    "in the [costs] settings (`deepscreen costs init` writes a file with every key; "
    "DEEPSCREEN_COSTS__* variables override it)"
)


@dataclass(frozen=True)
class MissingInput:
    """An input the optimiser cannot choose without: which, what was found, and the command or
    setting that supplies it. Without it the search would still run and answer "every
    threshold off" (nothing at stake, or nothing to cost), which reads like a finding."""

    name: str
    found: str
    supply: str

    def line(self) -> str:
        return f"{self.name}: {self.found} — supply it: {self.supply}"


class OptimizationRefused(InvalidInput):
    """No thresholds can be chosen from these items and inputs; the message says why and
    ``missing`` lists the inputs to supply (empty when a constraint cannot be met)."""

    code = "optimization_refused"

    def __init__(self, message: str, missing: Sequence[MissingInput] = ()) -> None:
        self.missing = tuple(missing)
        super().__init__(message)

    @classmethod
    def for_missing(cls, missing: Sequence[MissingInput]) -> OptimizationRefused:
        lines = "\n".join(f"  - {m.line()}" for m in missing)
        return cls(f"cannot choose thresholds: {len(missing)} input(s) missing:\n{lines}", missing)


def missing_inputs(
    items: pa.Table, model: CostModel, actions: Sequence[str] = ACTIONS
) -> tuple[MissingInput, ...]:
    """Every input the choice needs and the items or costs lack, all at once: scores,
    ground-truth labels on scored items, views (the harm at stake), and the cost settings the
    ``actions`` read. Empty when the search can run."""
    scores = items.column("score").to_pylist()
    truth = items.column("violating").to_pylist()
    views = items.column("views_total").to_pylist()
    segments = items.column("segment").to_pylist()
    scored = sum(s is not None for s in scores)
    labelled = sum(y is not None for y in truth)
    both = [
        (v or 0, str(g or ""))
        for s, y, v, g in zip(scores, truth, views, segments, strict=True)
        if s is not None and y is not None
    ]
    missing = [*_missing_data(items.num_rows, scored, labelled, both)]
    known = {g for _, g in both} if both else {str(g or "") for g in segments}
    missing += _missing_costs(model, actions, known)
    return tuple(missing)


def _missing_data(
    n: int, scored: int, labelled: int, both: Sequence[tuple[int, str]]
) -> list[MissingInput]:
    label_it = (
        "import labels (deepscreen impact import labels FILE), or draw a sample of scored items "
        "and review it (deepscreen sample N FILE, then deepscreen review)"
    )
    found = f"{scored:,} scored, {labelled:,} labelled of {n:,} items"
    missing = []
    if scored == 0:
        missing.append(
            MissingInput(
                "scores",
                f"no scored labelled items ({found}): no item has a score",
                "scan with a scoring detector (deepscreen scan); the thresholds act on "
                "signals.ensemble, so set [ensemble] enabled = true",
            )
        )
    if labelled == 0 or (scored and not both):
        missing.append(
            MissingInput("ground-truth labels", f"no scored labelled items ({found})", label_it)
        )
    if both and not any(v > 0 for v, _ in both):
        missing.append(
            MissingInput(
                "views",
                f"none of the {len(both):,} scored labelled items has views recorded: the harm "
                "at stake (p × harm per view × views) is 0 for each, so every threshold would "
                "be off",
                "import views (deepscreen impact import views FILE: item_id, views per window)",
            )
        )
    return missing


def _missing_costs(
    model: CostModel, actions: Sequence[str], segments: set[str]
) -> list[MissingInput]:
    missing = []
    for action in actions:
        if action in ENFORCEMENT and model.wrongful_cost(action) is None:
            where = f"{model.source}.wrongful_action_cost.{action}"
            missing.append(
                MissingInput(
                    f"wrongful_action_cost.{action}",
                    f"no wrongful-action cost for {action} ({where})",
                    f"set wrongful_action_cost.{action} (or .default) {SUPPLY_COSTS}",
                )
            )
    if "review" in actions and model.review_cost_per_item_effective is None:
        missing.append(
            MissingInput(
                "review cost",
                f"no review cost ({model.source}.review_cost_per_item)",
                "set review_cost_per_item, or reviewer_cost_per_hour with "
                f"review_minutes_per_item, {SUPPLY_COSTS}",
            )
        )
    lacking: dict[str, list[str]] = {}
    for segment in sorted(segments):
        if model.harm_per_view(segment) is None:
            lacking.setdefault(model.severity(segment), []).append(segment or "(none)")
    for severity, names in sorted(lacking.items()):
        missing.append(
            MissingInput(
                f"harm_per_violating_view.{severity}",
                f"no harm per violating view for severity {severity!r} (segments "
                f"{', '.join(names)}; {model.source}.harm_per_violating_view.{severity})",
                f"set harm_per_violating_view.{severity} {SUPPLY_COSTS}",
            )
        )
    return missing
