"""Score thresholds per action (``remove ≥ label ≥ review``) that minimise expected cost under
false-positive-rate and review-capacity limits, by exhaustive search over a grid.
The rule: docs/metrics.md, 'Threshold optimiser'; the search: docs/internals/impact.md."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from deepscreen.core.errors import InvalidInput
from deepscreen.core.numbers import format_number, format_value
from deepscreen.impact.costs import CostModel, money

ACTIONS = ("remove", "label", "review")
"""The bands, from the highest scores down."""
ENFORCEMENT = ("remove", "label")
OFF = 1.0
"""The threshold value that turns an action off (scores are in [0, 1]; thresholds are < 1)."""
LOWEST = 0.0
_TIE = 1e-9


def per_day(value: float) -> str:
    """A load in items/day, by the one number formatter."""
    return format_number(value)


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


@dataclass(frozen=True)
class _Data:
    """Scored items as arrays; ``lab`` = the scored labelled ones."""

    scores_all: np.ndarray  # sorted ascending
    score: np.ndarray  # labelled, sorted ascending, as given
    p: np.ndarray  # clipped to [0, 1]
    violating: np.ndarray
    harm: np.ndarray  # h_i · V̂_i
    views: np.ndarray  # V̂_i
    costs: Mapping[str, np.ndarray] = field(default_factory=dict)  # per item, per band + none


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


def _data(
    items: pa.Table, model: CostModel, actions: Sequence[str], prevented: Mapping[str, float]
) -> _Data:
    scores = items.column("score").to_pylist()
    truth = items.column("violating").to_pylist()
    views = items.column("views_total").to_pylist()
    segments = items.column("segment").to_pylist()
    all_scores = np.sort(np.array([s for s in scores if s is not None], np.float64))
    rows = [
        (float(s), bool(y), float(v or 0), str(g or ""))
        for s, y, v, g in zip(scores, truth, views, segments, strict=True)
        if s is not None and y is not None
    ]
    assert rows, "missing_inputs refuses items without scored labelled rows"
    rows.sort(key=lambda r: r[0])
    score = np.array([r[0] for r in rows], np.float64)
    p = np.clip(score, 0.0, 1.0)
    violating = np.array([r[1] for r in rows], bool)
    rate = np.array([model.harm_per_view(r[3]) for r in rows], np.float64)
    seen = np.array([r[2] for r in rows], np.float64)
    harm = rate * seen
    costs = {"none": p * harm}
    for action in actions:
        if action == "review":
            review = model.review_cost_per_item_effective
            assert review is not None
            costs[action] = np.full(len(rows), review)
        else:
            c_fp = model.wrongful_cost(action)
            assert c_fp is not None
            costs[action] = (1.0 - p) * c_fp + p * (1.0 - prevented[action]) * harm
    return _Data(all_scores, score, p, violating, harm, seen, costs)


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


def shortest_between(
    above: float | None, at_most: float, *, lowest: float, below: float
) -> float | None:
    """The shortest decimal ``t`` with ``above < t ≤ at_most``, ``lowest ≤ t < below``."""
    low, low_strict = (lowest, False) if above is None or lowest > above else (above, True)
    high, high_strict = (below, True) if at_most >= below else (at_most, False)
    if low > high or (low == high and (low_strict or high_strict)):
        return None

    def inside(t: float) -> bool:
        ok_low = t > low if low_strict else t >= low
        ok_high = t < high if high_strict else t <= high
        return ok_low and ok_high

    for digits in range(17):
        scale = 10**digits
        start = math.floor(low * scale)
        for m in range(start, start + 3):
            t = float(m / scale)
            if inside(t):
                return t
    return at_most if inside(at_most) else None


def _grid(scores: np.ndarray, lowest: float, max_grid: int) -> np.ndarray:
    """Ascending cut points (``score ≥ t`` selects exactly the scores from a distinct score
    up), then ``inf`` for "off"."""
    distinct = np.unique(scores)
    if len(distinct) > max_grid:
        picks = np.unique(np.linspace(0, len(distinct) - 1, max_grid).round().astype(int))
    else:
        picks = np.arange(len(distinct))
    cuts = []
    for k in picks.tolist():
        above = float(distinct[k - 1]) if k > 0 else None
        t = shortest_between(above, float(distinct[k]), lowest=lowest, below=OFF)
        if t is not None:
            cuts.append(t)
    return np.array([*sorted(set(cuts)), math.inf], np.float64)


class _Search:
    """Every ordered combination ``i_rm ≥ i_lb ≥ i_rv`` over the grid, costed at once."""

    def __init__(self, data: _Data, grid: np.ndarray, actions: Sequence[str], days: float):
        self.grid = grid
        g = len(grid)
        first = np.searchsorted(data.score, grid, side="left")  # labelled at or above each t

        def above(values: np.ndarray) -> np.ndarray:
            prefix = np.concatenate([[0.0], np.cumsum(values)])
            return np.asarray(prefix[-1] - prefix[first], np.float64)

        zero = np.zeros(g)
        rm = above(data.costs["remove"]) if "remove" in actions else zero
        lb = above(data.costs["label"]) if "label" in actions else zero
        rv = above(data.costs["review"]) if "review" in actions else zero
        none = above(data.costs["none"])
        total_none = float(data.costs["none"].sum())
        i, j, k = np.ogrid[:g, :g, :g]
        self.cost = (
            (rm - lb)[:, None, None] + (lb - rv)[None, :, None] + (rv - none)[None, None, :]
        ) + total_none
        valid = (i >= j) & (j >= k)
        if "remove" not in actions:
            valid = valid & (i == g - 1)
        if "label" not in actions:
            valid = valid & (j == i)
        if "review" not in actions:
            valid = valid & (k == j)
        self.valid = np.broadcast_to(valid, (g, g, g))
        clean = ~data.violating
        clean_sorted = np.sort(data.score[clean])
        self.clean = int(clean.sum())
        self.fp = self.clean - np.searchsorted(clean_sorted, grid, side="left")
        n_all = len(data.scores_all)
        at_or_above = n_all - np.searchsorted(data.scores_all, grid, side="left")
        self.at_or_above, self.n_all, self.actions = at_or_above, n_all, tuple(actions)
        self.load = (at_or_above[None, None, :] - at_or_above[None, :, None]) / days
        self.fpr = self.fp / self.clean if self.clean else np.zeros(g)

    def fpr_ok(self, max_fpr: float | None) -> np.ndarray:
        if max_fpr is None:
            return np.ones((1, 1, 1), bool)
        return np.asarray(self.fpr <= max_fpr + 1e-12)[None, :, None]

    def capacity_ok(self, capacity: float | None) -> np.ndarray:
        if capacity is None:
            return np.ones((1, 1, 1), bool)
        return np.asarray(self.load <= capacity + 1e-9)

    def candidate(
        self, index: tuple[int, int, int], max_fpr: float | None, capacity: float | None
    ) -> Candidate:
        """What one grid combination does, read off the arrays."""
        i, j, k = index
        above = self.at_or_above
        counts = {
            "remove": int(above[i]),
            "label": int(above[j] - above[i]),
            "review": int(above[k] - above[j]),
            "allow": int(self.n_all - above[k]),
        }
        fp, load = int(self.fp[j]), float(self.load[0, j, k])
        meets = (max_fpr is None or (self.clean > 0 and fp / self.clean <= max_fpr + 1e-12)) and (
            capacity is None or load <= capacity + 1e-9
        )
        thresholds = {
            action: float(min(self.grid[n], OFF))
            for action, n in zip(ACTIONS, index, strict=True)
            if action in self.actions
        }
        cost = float(self.cost[i, j, k])
        return Candidate(thresholds, cost, fp, self.clean, load, counts, meets)

    def best(self, mask: np.ndarray) -> tuple[int, int, int]:
        """The cheapest combination in ``mask``; on a tie the one acting least."""
        mask = np.broadcast_to(mask, self.cost.shape)
        costs = np.where(mask, self.cost, np.inf)
        low = float(costs.min())
        near = np.flatnonzero((costs <= low + _TIE * max(1.0, abs(low))).ravel())
        flat = int(near.max())  # C order: the largest (i_rm, i_lb, i_rv)
        i, j, k = np.unravel_index(flat, self.cost.shape)
        return int(i), int(j), int(k)


def _evaluate(
    data: _Data,
    thresholds: Mapping[str, float],
    actions: Sequence[str],
    days: float,
    max_fpr: float | None,
    capacity: float | None,
) -> Candidate:
    """Cost one threshold set exactly as a bundle applies it (rules in band order)."""

    def effective(action: str, ceiling: float) -> float:
        value = thresholds.get(action, OFF) if action in actions else OFF
        value = math.inf if value >= OFF else float(value)
        return min(value, ceiling)

    t_rm = effective("remove", math.inf)
    t_lb = effective("label", t_rm)
    t_rv = effective("review", t_lb)
    s = data.score
    band = {
        "remove": s >= t_rm,
        "label": (s >= t_lb) & (s < t_rm),
        "review": (s >= t_rv) & (s < t_lb),
    }
    acted = band["remove"] | band["label"] | band["review"]
    cost = float(data.costs["none"][~acted].sum())
    for action in actions:
        cost += float(data.costs[action][band[action]].sum())
    clean = ~data.violating
    fp = int((clean & (s >= t_lb)).sum())
    n_clean = int(clean.sum())
    a = data.scores_all
    counts = {
        "remove": int((a >= t_rm).sum()),
        "label": int(((a >= t_lb) & (a < t_rm)).sum()),
        "review": int(((a >= t_rv) & (a < t_lb)).sum()),
    }
    counts["allow"] = len(a) - sum(counts.values())
    load = counts["review"] / days
    meets = (max_fpr is None or (n_clean > 0 and fp / n_clean <= max_fpr + 1e-12)) and (
        capacity is None or load <= capacity + 1e-9
    )
    shown = {
        action: (OFF if math.isinf(t) else t)
        for action, t in zip(ACTIONS, (t_rm, t_lb, t_rv), strict=True)
        if action in actions
    }
    return Candidate(shown, cost, fp, n_clean, load, counts, meets)


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


def _frontier(
    search: _Search,
    valid: np.ndarray,
    candidate: Callable[[tuple[int, int, int]], Candidate],
    chosen: Candidate,
) -> tuple[Candidate, ...]:
    """The combinations no other beats on expected cost, FPR and review load at once (a Pareto
    front; constraints not applied, each row says whether it meets them), by FPR then load.
    The chosen combination is always included."""
    shape = search.cost.shape
    costs = np.where(np.broadcast_to(valid, shape), search.cost, np.inf)
    # per (label, review) threshold pair, the best remove threshold (the highest on a tie)
    best_i = shape[0] - 1 - np.argmin(costs[::-1], axis=0)
    best = np.take_along_axis(costs, best_i[None], axis=0)[0]
    fpr = np.broadcast_to(np.asarray(search.fpr, np.float64)[:, None], best.shape)
    load = np.broadcast_to(search.load[0], best.shape)
    j, k = np.nonzero(np.isfinite(best))
    order = np.lexsort((load[j, k], fpr[j, k], best[j, k]))
    kept_fpr = np.empty(len(order))
    kept_load = np.empty(len(order))
    kept = 0
    picks: list[tuple[int, int, int]] = []
    for n in order.tolist():
        jj, kk = int(j[n]), int(k[n])
        f, v = float(fpr[jj, kk]), float(load[jj, kk])
        if kept and bool(((kept_fpr[:kept] <= f + 1e-12) & (kept_load[:kept] <= v + 1e-9)).any()):
            continue
        kept_fpr[kept], kept_load[kept] = f, v
        kept += 1
        picks.append((int(best_i[jj, kk]), jj, kk))
    rows = [candidate(index) for index in picks]
    rows = [chosen if _same(r, chosen) else r for r in rows]
    if chosen not in rows:
        rows.append(chosen)
    rows.sort(key=lambda r: (r.false_positive_rate or 0.0, r.review_per_day, r.expected_cost))
    return tuple(rows)


def _same(a: Candidate, b: Candidate) -> bool:
    return dict(a.thresholds) == dict(b.thresholds)


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
