"""The cost figures as results: one figure with its formula, inputs and basis (``CostFigure``),
and the whole report in ``FIGURES`` order (``CostReport``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from deepscreen.core.numbers import format_value
from deepscreen.impact.cost_model import _number


@dataclass(frozen=True)
class CostFigure:
    """One computed figure, or ``None`` with the ``reason`` an input is missing."""

    name: str
    value: float | None
    unit: str
    formula: str
    inputs: tuple[str, ...] = ()
    reason: str | None = None
    basis: str = ""
    breakdown: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "formula": self.formula,
            "inputs": list(self.inputs),
            "reason": self.reason,
            "basis": self.basis,
            "breakdown": dict(self.breakdown),
        }

    def line(self) -> str:
        if self.value is None:
            return f"{self.name}: not computed — {self.reason}"
        value = (
            f"{_number(self.value)} {self.unit}"
            if self.unit in ("incidents",)
            else format_value(self.value, "money", currency=self.unit)
        )
        basis = f" [{self.basis}]" if self.basis else ""
        used = f"; inputs: {'; '.join(self.inputs)}" if self.inputs else ""
        return f"{self.name}: {value} = {self.formula}{basis}{used}"


FIGURES = (
    "fp_review_cost",
    "review_labour",
    "wrongful_actions",
    "harm_avoided",
    "residual_harm",
    "viral_incidents",
    "viral_damage",
    "net_value",
)


@dataclass(frozen=True)
class CostReport:
    items: int
    labelled: int
    currency: str
    figures: Mapping[str, CostFigure]
    assumptions: tuple[str, ...]

    def __getitem__(self, name: str) -> CostFigure:
        return self.figures[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "labelled": self.labelled,
            "currency": self.currency,
            "figures": {name: figure.to_dict() for name, figure in self.figures.items()},
            "assumptions": list(self.assumptions),
        }

    def format_lines(self) -> list[str]:
        lines = [
            f"costs ({self.currency}) over {self.items:,} items, {self.labelled:,} labelled; "
            "totals over the items unless marked per month:"
        ]
        lines += [f"  {self.figures[name].line()}" for name in FIGURES]
        lines.append("assumptions:")
        lines += [f"  - {a}" for a in self.assumptions]
        return lines
