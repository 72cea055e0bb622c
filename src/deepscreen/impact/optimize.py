"""Score thresholds per action (``remove ≥ label ≥ review``) that minimise expected cost under
false-positive-rate and review-capacity limits, by exhaustive search over a grid.
The rule: docs/metrics.md, 'Threshold optimiser'; the search: docs/internals/impact.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import pyarrow as pa

from deepscreen.impact.costs import CostModel, money
from deepscreen.impact.optimize_inputs import OptimizationRefused, missing_inputs
from deepscreen.impact.optimize_result import (
    ACTIONS,
    ENFORCEMENT,
    LOWEST,
    OFF,
    Candidate,
    ThresholdOptimum,
    per_day,
)
from deepscreen.impact.optimize_search import _Data, _data, _evaluate, _frontier, _grid, _Search


def optimize_thresholds(
    items: pa.Table,
    model: CostModel,
    *,
    max_fpr: float | None = None,
    review_capacity_per_day: float | None = None,
    period_days: float | None = None,
    actions: Sequence[str] = ACTIONS,
    harm_prevented: Mapping[str, float] | None = None,
    baseline: Mapping[str, float] | None = None,
    lowest: float = LOWEST,
    max_grid: int = 100,
) -> ThresholdOptimum:
    """Choose ``remove ≥ label ≥ review`` thresholds (for ``actions``) minimising expected cost.

    ``max_fpr`` bounds the false-positive rate of automated enforcement (remove or label) on
    the labelled non-violating items; ``review_capacity_per_day`` bounds the scored items per
    day the review band sends to people, over ``period_days`` (default: the items' ingestion
    span, at least one day). ``harm_prevented`` gives the share of an item's harm an action
    stops (default 1 for every action). ``baseline`` (e.g. the base bundle's thresholds) is
    costed the same way for comparison. ``lowest`` is the smallest threshold allowed.
    Raises ``OptimizationRefused`` when there are no scored labelled items, a needed cost is
    not configured, or no combination meets the constraints.
    """
    chosen_actions = tuple(a for a in ACTIONS if a in actions)
    unknown = sorted(set(actions) - set(ACTIONS))
    if unknown or not chosen_actions:
        raise ValueError(f"actions must be among {ACTIONS}, got {list(actions)}")
    if max_grid < 2:
        raise ValueError("max_grid must be at least 2")
    prevented = _prevented(chosen_actions, harm_prevented)
    missing = missing_inputs(items, model, chosen_actions)
    if missing:
        raise OptimizationRefused.for_missing(missing)
    data = _data(items, model, chosen_actions, prevented)
    clean = int((~data.violating).sum())
    if max_fpr is not None and clean == 0:
        raise OptimizationRefused(
            "max_fpr cannot be checked: no scored labelled item is non-violating"
        )
    days, days_source = _period(items, period_days)
    grid = _grid(data.scores_all, lowest, max_grid)
    search = _Search(data, grid, chosen_actions, days)
    valid = search.valid
    fpr_ok = search.fpr_ok(max_fpr)
    cap_ok = search.capacity_ok(review_capacity_per_day)
    feasible = valid & fpr_ok & cap_ok
    if not feasible.any():
        raise OptimizationRefused(
            _infeasible(search, valid, fpr_ok, cap_ok, max_fpr, review_capacity_per_day)
        )

    def candidate(index: tuple[int, int, int]) -> Candidate:
        return search.candidate(index, max_fpr, review_capacity_per_day)

    chosen = candidate(search.best(feasible))
    unconstrained = candidate(search.best(valid))
    binding = _binding(unconstrained, max_fpr, review_capacity_per_day, model.currency)
    frontier = _frontier(search, valid, candidate, chosen)
    base = (
        None
        if baseline is None
        else _evaluate(data, baseline, chosen_actions, days, max_fpr, review_capacity_per_day)
    )
    assumptions = _assumptions(
        data, chosen_actions, prevented, days, days_source, len(grid) - 1, items
    )
    return ThresholdOptimum(
        chosen=chosen,
        unconstrained=unconstrained,
        frontier=frontier,
        binding=binding,
        actions=chosen_actions,
        max_fpr=max_fpr,
        review_capacity_per_day=review_capacity_per_day,
        labelled=len(data.score),
        scored=len(data.scores_all),
        period_days=days,
        grid_size=len(grid) - 1,
        combinations=int(valid.sum()),
        currency=model.currency,
        assumptions=tuple(model.assumptions()) + assumptions,
        baseline=base,
        notes=_notes(chosen, unconstrained, model.currency),
    )


def _prevented(actions: Sequence[str], given: Mapping[str, float] | None) -> dict[str, float]:
    given = dict(given or {})
    bad = {a: v for a, v in given.items() if a not in ENFORCEMENT or not 0.0 <= v <= 1.0}
    if bad:
        raise ValueError(f"harm_prevented takes label/remove shares in [0, 1], got {bad}")
    return {a: given.get(a, 1.0) for a in actions if a in ENFORCEMENT}


def _notes(chosen: Candidate, unconstrained: Candidate, currency: str) -> tuple[str, ...]:
    """Why the choice is what it is, when it could be mistaken for a data gap: every action
    off means either that the constraints allow nothing else, or that not acting was the
    cheapest combination on these inputs."""

    def acts(candidate: Candidate) -> bool:
        return any(t < OFF for t in candidate.thresholds.values())

    if acts(chosen):
        return ()
    if acts(unconstrained):
        return (
            "every action is off because of the constraints: every combination that acts "
            "breaks one of them (see binding); loosen --max-fpr or --review-capacity to act",
        )
    return (
        "every action is off: no threshold combination costs less than not acting (expected "
        f"harm {money(chosen.expected_cost, currency)}) under these costs; if that is wrong, "
        "check harm_per_violating_view and the views, or lower wrongful_action_cost and the "
        "review cost",
    )


def _period(items: pa.Table, given: float | None) -> tuple[float, str]:
    if given is not None:
        if not given > 0:
            raise ValueError("period_days must be > 0")
        return float(given), "given"
    times = [t for t in items.column("ingested_at").to_pylist() if isinstance(t, datetime)]
    if not times:
        return 1.0, "no ingestion times: one day"
    span = (max(times) - min(times)).total_seconds() / 86_400
    return max(span, 1.0), "the items' ingestion span, at least one day"


def _binding(
    unconstrained: Candidate, max_fpr: float | None, capacity: float | None, currency: str
) -> tuple[str, ...]:
    found = []
    fpr = unconstrained.false_positive_rate
    cost = money(unconstrained.expected_cost, currency)
    if max_fpr is not None and fpr is not None and fpr > max_fpr + 1e-12:
        found.append(
            f"max_fpr {max_fpr:g}: without it the optimum has FPR {fpr:.3f} (expected cost {cost})"
        )
    if capacity is not None and unconstrained.review_per_day > capacity + 1e-9:
        found.append(
            f"review capacity {capacity:g}/day: without it the optimum sends "
            f"{per_day(unconstrained.review_per_day)} items/day to review (expected cost {cost})"
        )
    return tuple(found)


def _infeasible(
    search: _Search,
    valid: np.ndarray,
    fpr_ok: np.ndarray,
    cap_ok: np.ndarray,
    max_fpr: float | None,
    capacity: float | None,
) -> str:
    shape = search.cost.shape
    valid = np.broadcast_to(valid, shape)
    reasons = []
    if max_fpr is not None and not (valid & fpr_ok).any():
        fpr = np.broadcast_to(np.asarray(search.fpr)[None, :, None], shape)
        lowest = float(np.where(valid, fpr, np.inf).min())
        reasons.append(f"max_fpr {max_fpr:g} binds: the lowest reachable FPR is {lowest:.3f}")
    if capacity is not None and not (valid & cap_ok).any():
        load = np.broadcast_to(search.load, shape)
        lowest = float(np.where(valid, load, np.inf).min())
        reasons.append(
            f"review capacity {capacity:g}/day binds: the lowest reachable load is "
            f"{per_day(lowest)} items/day"
        )
    if not reasons:
        reasons.append("max_fpr and review capacity together: each can be met alone, not both")
    return "no threshold combination meets the constraints: " + "; ".join(reasons)


def _assumptions(
    data: _Data,
    actions: Sequence[str],
    prevented: Mapping[str, float],
    days: float,
    days_source: str,
    grid_size: int,
    items: pa.Table,
) -> tuple[str, ...]:
    lines = [
        "scores are calibrated: an item's score is its probability of violating (p); the "
        "score is the item table's (the ensemble signal when present, else the highest "
        "detector score)",
        "expected cost of acting with an action: (1 − p)·wrongful-action cost + "
        "p·(1 − share of harm prevented)·harm per view·views; of not acting: "
        "p·harm per view·views (docs/metrics.md, 'Threshold optimiser')",
        "views (V̂) = the item's realised views_total, standing in for the views it would get "
        "without action; harm per view is that of the segment's severity",
    ]
    for action in ENFORCEMENT:
        if action in prevented:
            share = prevented[action]
            lines.append(
                f"a {action} prevents {share:.0%} of an item's harm"
                + (" (default: acting stops all of its harm)" if share == 1.0 else " (given)")
            )
    if "review" in actions:
        lines.append(
            "review costs the review cost per item and resolves the item: the reviewer is "
            "right and in time (no wrongful action, no harm)"
        )
    no_views = int((data.views == 0).sum())
    if no_views:
        lines.append(
            f"{no_views:,} of the {len(data.score):,} scored labelled items have no views "
            "recorded: counted as 0 views, so no harm is at stake on them"
        )
    lines += [
        f"expected cost and false-positive rate over the {len(data.score):,} scored labelled "
        f"items (of {items.num_rows:,}); review load over all {len(data.scores_all):,} scored "
        f"items ÷ {days:g} days ({days_source})",
        "thresholds decide by score alone: rules that run before them in a bundle "
        "(provenance) are not modelled",
        f"an action applies at score ≥ its threshold; {OFF:.1f} turns it off; candidates are "
        f"{grid_size} cut points between distinct scores",
    ]
    return tuple(lines)
