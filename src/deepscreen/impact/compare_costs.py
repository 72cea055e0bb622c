"""The cost rows of a policy comparison: which can be computed from the configured costs (and
why the others cannot), and their per-item values."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from deepscreen.impact.costs import DEFAULT_KEY, CostModel

COST_METRICS: tuple[str, ...] = ("review_cost", "wrongful_action_cost", "harm")
"""The cost rows ``total_cost`` adds up, in table order."""


def _cost_plan(
    baseline: Mapping[str, np.ndarray], candidate: Mapping[str, np.ndarray], costs: CostModel
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cost rows whose inputs are there for every item of either table that needs one, and
    a note for each row left out (naming the missing setting)."""
    sides = {"baseline": baseline, "candidate": candidate}
    src = costs.source
    missing: dict[str, str] = {}

    reviewing = [side for side, q in sides.items() if q["action.review"].any()]
    if reviewing and costs.review_cost_per_item_effective is None:
        missing["review_cost"] = (
            f"items are sent to review by the {_policies(reviewing)} but no review cost is "
            f"configured ({src}.review_cost_per_item, or {src}.reviewer_cost_per_hour with "
            f"{src}.review_minutes_per_item)"
        )

    unpriced: dict[str, list[str]] = {}
    for side, q in sides.items():
        for action in _unique(q["key.enforced_action"][q["false_positive"]]):
            if costs.wrongful_cost(action) is None:
                unpriced.setdefault(action, []).append(side)
    if unpriced:
        parts = [
            f"{action or '(none)'}, applied wrongfully by the {_policies(used)} "
            f"({src}.wrongful_action_cost.{action} or {src}.wrongful_action_cost.{DEFAULT_KEY})"
            for action, used in sorted(unpriced.items())
        ]
        missing["wrongful_action_cost"] = f"no wrongful-action cost for {'; '.join(parts)}"

    unrated: dict[str, set[str]] = {}
    for q in sides.values():
        for segment in _unique(q["key.segment"][q["violating"]]):
            if costs.harm_per_view(segment) is None:
                unrated.setdefault(costs.severity(segment), set()).add(segment or "(none)")
    if unrated:
        parts = []
        for severity, segments in sorted(unrated.items()):
            where = f"{src}.harm_per_violating_view.{severity}"
            if severity == DEFAULT_KEY:
                where += f", or a severity in {src}.severity_by_segment"
            parts.append(
                f"severity {severity!r} of labelled violating items in segments "
                f"{', '.join(sorted(segments))} ({where})"
            )
        missing["harm"] = f"no harm per violating view for {'; '.join(parts)}"

    rows = tuple(name for name in COST_METRICS if name not in missing)
    notes = [f"{name} not computed: {reason}" for name, reason in missing.items()]
    if missing:
        notes.append(f"total_cost not computed: {', '.join(missing)} not computed (above)")
    else:
        rows += ("total_cost",)
    return rows, tuple(notes)


def _policies(sides: list[str]) -> str:
    return "baseline and candidate" if len(sides) == 2 else sides[0]


def _unique(keys: np.ndarray) -> list[str]:
    return sorted({str(k) for k in keys.tolist()})


def _cost_quantities(
    q: Mapping[str, np.ndarray], costs: CostModel, rows: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """Per-item costs of the ``rows`` computed (their inputs are known to be there)."""
    out: dict[str, np.ndarray] = {}
    if "review_cost" in rows:
        reviews = q["action.review"]
        per_item = costs.review_cost_per_item_effective
        # without a review cost the plan keeps the row only when no item is sent to review
        out["review_cost"] = np.zeros(reviews.shape[0]) if per_item is None else reviews * per_item
    if "wrongful_action_cost" in rows:
        mask = q["false_positive"]
        out["wrongful_action_cost"] = _per_item(mask, q["key.enforced_action"], costs.wrongful_cost)
    if "harm" in rows:
        mask = q["violating"]
        out["harm"] = _per_item(mask, q["key.segment"], costs.harm_per_view) * q["exposure"]
    if "total_cost" in rows:
        out["total_cost"] = np.sum([out[name] for name in COST_METRICS], axis=0)
    return out


def _per_item(
    mask: np.ndarray, keys: np.ndarray, unit: Callable[[str], float | None]
) -> np.ndarray:
    """``unit(key)`` for the items in ``mask``, 0 elsewhere (one lookup per distinct key; an
    unpriced key would be NaN, never 0)."""
    out = np.zeros(mask.shape[0])
    if not mask.any():
        return out
    distinct, inverse = np.unique(keys[mask].astype(str), return_inverse=True)
    values = [unit(str(k)) for k in distinct.tolist()]
    prices = np.array([math.nan if v is None else v for v in values], np.float64)
    out[mask] = prices[inverse.reshape(-1)]
    return out
