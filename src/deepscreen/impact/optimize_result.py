"""The threshold optimiser's answer: the bands, one threshold combination (``Candidate``) and
the choice with its frontier, constraints and assumptions (``ThresholdOptimum``), as text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from deepscreen.core.numbers import format_number, format_value
from deepscreen.impact.costs import money

ACTIONS = ("remove", "label", "review")
"""The bands, from the highest scores down."""
ENFORCEMENT = ("remove", "label")
OFF = 1.0
"""The threshold value that turns an action off (scores are in [0, 1]; thresholds are < 1)."""
LOWEST = 0.0


def per_day(value: float) -> str:
    """A load in items/day, by the one number formatter."""
    return format_number(value)


@dataclass(frozen=True)
class Candidate:
    """One threshold combination and what it does on the items."""

    thresholds: Mapping[str, float]
    """Per action, the threshold to set (``OFF`` = the action is off)."""
    expected_cost: float
    false_positives: int
    clean: int
    review_per_day: float
    items_per_action: Mapping[str, int]
    """All scored items per action (remove, label, review, allow)."""
    meets_constraints: bool = True

    @property
    def false_positive_rate(self) -> float | None:
        return self.false_positives / self.clean if self.clean else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "thresholds": dict(self.thresholds),
            "expected_cost": self.expected_cost,
            "false_positive_rate": self.false_positive_rate,
            "false_positives": self.false_positives,
            "labelled_non_violating": self.clean,
            "review_per_day": self.review_per_day,
            "items_per_action": dict(self.items_per_action),
            "meets_constraints": self.meets_constraints,
        }


@dataclass(frozen=True)
class ThresholdOptimum:
    chosen: Candidate
    unconstrained: Candidate
    frontier: tuple[Candidate, ...]
    binding: tuple[str, ...]
    actions: tuple[str, ...]
    max_fpr: float | None
    review_capacity_per_day: float | None
    labelled: int
    scored: int
    period_days: float
    grid_size: int
    combinations: int
    currency: str
    assumptions: tuple[str, ...]
    baseline: Candidate | None = None
    notes: tuple[str, ...] = ()
    """What a reader must know about the choice itself (e.g. why every action is off)."""

    def frontier_table(self) -> pa.Table:
        rows = self.frontier
        return pa.table(
            {
                **{
                    f"{a}_min_score": pa.array([r.thresholds[a] for r in rows], pa.float64())
                    for a in self.actions
                },
                "expected_cost": pa.array([r.expected_cost for r in rows], pa.float64()),
                "false_positive_rate": pa.array(
                    [r.false_positive_rate for r in rows], pa.float64()
                ),
                "review_per_day": pa.array([r.review_per_day for r in rows], pa.float64()),
                "meets_constraints": pa.array([r.meets_constraints for r in rows], pa.bool_()),
                "chosen": pa.array([r == self.chosen for r in rows], pa.bool_()),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "actions": list(self.actions),
            "thresholds": dict(self.chosen.thresholds),
            "chosen": self.chosen.to_dict(),
            "unconstrained": self.unconstrained.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "binding": list(self.binding),
            "constraints": {
                "max_fpr": self.max_fpr,
                "review_capacity_per_day": self.review_capacity_per_day,
            },
            "labelled": self.labelled,
            "scored": self.scored,
            "period_days": self.period_days,
            "grid_size": self.grid_size,
            "combinations": self.combinations,
            "currency": self.currency,
            "frontier": [{**r.to_dict(), "chosen": r == self.chosen} for r in self.frontier],
            "assumptions": list(self.assumptions),
            "notes": list(self.notes),
        }

    def describe(self, candidate: Candidate) -> str:
        fpr = candidate.false_positive_rate
        fpr_text = (
            "n/a"
            if fpr is None
            else f"{format_value(fpr, 'share')} ({candidate.false_positives}/{candidate.clean})"
        )
        return (
            f"expected cost {money(candidate.expected_cost, self.currency)} over "
            f"{self.labelled:,} labelled items; FPR {fpr_text}; "
            f"review {per_day(candidate.review_per_day)} items/day"
        )

    def thresholds_text(self, candidate: Candidate) -> str:
        return ", ".join(
            f"{a} {'off' if t >= OFF else f'{t:g}'}" for a, t in candidate.thresholds.items()
        )

    def format_lines(self, *, max_rows: int = 20) -> list[str]:
        limits = []
        if self.max_fpr is not None:
            limits.append(f"FPR ≤ {self.max_fpr:g}")
        if self.review_capacity_per_day is not None:
            limits.append(f"review ≤ {self.review_capacity_per_day:g} items/day")
        lines = [
            f"chosen thresholds (score ≥ t acts; {OFF:.1f} = off): "
            f"{self.thresholds_text(self.chosen)}",
            f"  {self.describe(self.chosen)}",
            f"  constraints: {', '.join(limits) or 'none'}; "
            f"searched {self.combinations:,} combinations of {self.grid_size} cut points",
        ]
        if self.baseline is not None:
            lines.append(
                f"base thresholds: {self.thresholds_text(self.baseline)}; "
                f"{self.describe(self.baseline)}"
                + ("" if self.baseline.meets_constraints else " (breaks a constraint)")
            )
        for message in self.binding:
            lines.append(f"binding: {message}")
        lines += [f"note: {note}" for note in self.notes]
        lines.append(
            "frontier (no other combination has lower cost, FPR and review load at once; "
            "✗ = breaks a constraint):"
        )
        header = [*(f"{a}" for a in self.actions), self.currency, "FPR", "review/day", ""]
        lines.append("  " + "  ".join(f"{h:>10}" for h in header))
        shown = _spread(self.frontier, self.chosen, max_rows)
        for row in shown:
            fpr = row.false_positive_rate
            cells = [
                *("off" if row.thresholds[a] >= OFF else f"{row.thresholds[a]:g}"
                  for a in self.actions),
                format_value(row.expected_cost, "money"),
                "n/a" if fpr is None else format_value(fpr, "share"),
                per_day(row.review_per_day),
                "← chosen" if row == self.chosen else ("" if row.meets_constraints else "✗"),
            ]  # fmt: skip
            lines.append("  " + "  ".join(f"{c:>10}" for c in cells))
        if len(shown) < len(self.frontier):
            lines.append(f"  ({len(shown)} of {len(self.frontier)} frontier rows shown)")
        lines.append("assumptions:")
        lines += [f"  - {a}" for a in self.assumptions]
        return lines


def _spread(rows: Sequence[Candidate], keep: Candidate, limit: int) -> list[Candidate]:
    """At most ``limit`` rows, evenly spaced, always with ``keep``."""
    if len(rows) <= limit:
        return list(rows)
    picks = set(np.linspace(0, len(rows) - 1, max(limit - 1, 1)).round().astype(int).tolist())
    return [r for n, r in enumerate(rows) if n in picks or r is keep]
