"""The threshold search: scored labelled items as arrays, the grid of cut points, every
ordered combination costed at once (``_Search``), one threshold set costed, the frontier."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from deepscreen.impact.costs import CostModel
from deepscreen.impact.optimize_result import ACTIONS, OFF, Candidate

_TIE = 1e-9


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
