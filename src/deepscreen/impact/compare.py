"""Compare two policies on the same items (item tables aligned on ``item_id``): per metric both
values, the delta and its paired-bootstrap interval, with cost rows from a ``CostModel``.
Method and cost rules: docs/internals/impact.md; metrics: docs/metrics.md, 'Policy comparison'."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from deepscreen.core.decisions import Action
from deepscreen.impact.compare_costs import COST_METRICS, _cost_plan, _cost_quantities
from deepscreen.impact.compare_result import (
    COMPARED,
    COMPARISON_SCHEMA,
    DEFINITIONS,
    NO_CHANGE,
    NOT_ESTIMABLE,
    SIGNIFICANT,
    Comparison,
    MetricRow,
    definition,
)
from deepscreen.impact.costs import CostModel
from deepscreen.stats import paired_bootstrap_sums
from deepscreen.stats.resampling import (
    check_confidence,
    check_replicates,
    finite_quantiles,
    two_sided,
)

__all__ = [
    "ACTIONS",
    "COMPARED",
    "COMPARISON_SCHEMA",
    "COST_METRICS",
    "DEFINITIONS",
    "NOT_ESTIMABLE",
    "NO_CHANGE",
    "SIGNIFICANT",
    "Comparison",
    "MetricRow",
    "compare",
    "definition",
]

ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)


@dataclass(frozen=True)
class _Metric:
    name: str
    numerator: str
    denominator: str | None = None
    scale: float = 1.0


class _Columns:
    """Per-item quantities of both tables as de-duplicated columns of one matrix."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._index: dict[bytes, int] = {}
        self._columns: list[np.ndarray] = []
        self.named: dict[str, int] = {}

    def add(self, name: str, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=np.float64)
        key = values.tobytes()
        if key not in self._index:  # identical columns share one: identical deltas are 0
            self._index[key] = len(self._columns)
            self._columns.append(values)
        self.named[name] = self._index[key]

    def matrix(self) -> np.ndarray:
        if not self._columns:
            return np.zeros((self.n, 0))
        return np.column_stack(self._columns)


def compare(
    baseline: pa.Table,
    candidate: pa.Table,
    *,
    n_boot: int = 2000,
    seed: int = 0,
    costs: CostModel | None = None,
    confidence: float = 0.95,
) -> Comparison:
    """Compare two item tables over the same items (aligned on ``item_id``).

    Each metric's delta (candidate − baseline) gets a percentile interval from a paired
    bootstrap: ``n_boot`` replicates resample item indices once and apply them to both tables.
    The verdict is "significant" when the interval excludes 0, else "no significant change"
    ("not estimable" when a denominator is 0). ``costs`` adds review cost, wrongful-action cost,
    harm and their total (sums over the compared items, not per month); a row whose input is
    missing for an item of either table is left out, with the total, and ``cost_notes`` says
    which setting is missing.
    """
    check_replicates(n_boot)
    alpha = check_confidence(confidence)
    candidate = _aligned(baseline, candidate)
    n = baseline.num_rows
    columns = _Columns(n)
    sides = {"b": _quantities(baseline), "c": _quantities(candidate)}
    cost_rows: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    if costs is not None:
        cost_rows, notes = _cost_plan(sides["b"], sides["c"], costs)
        for quantities in sides.values():
            quantities |= _cost_quantities(quantities, costs, cost_rows)
    for side, quantities in sides.items():
        for name, values in quantities.items():
            if not name.startswith("key."):  # lookup keys, not summed
                columns.add(f"{side}.{name}", values)
    metrics = _metrics(baseline, candidate, cost_rows)
    matrix = columns.matrix()
    point = matrix.sum(axis=0)[None, :]
    boot = paired_bootstrap_sums(matrix, n_boot=n_boot, seed=seed)
    rows = []
    for metric in metrics:
        b_value = _evaluate(metric, "b", columns.named, point)[0]
        c_value = _evaluate(metric, "c", columns.named, point)[0]
        deltas = _evaluate(metric, "c", columns.named, boot) - _evaluate(
            metric, "b", columns.named, boot
        )
        rows.append(_row(metric.name, float(b_value), float(c_value), deltas, alpha))
    labelled = _labelled(baseline)
    return Comparison(
        rows=tuple(rows),
        items=n,
        labelled=int(labelled.sum()),
        violating=int((labelled & _bool(baseline, "violating")).sum()),
        n_boot=n_boot,
        seed=seed,
        confidence=confidence,
        costs=costs,
        cost_notes=notes,
    )


def _aligned(baseline: pa.Table, candidate: pa.Table) -> pa.Table:
    """The candidate table in the baseline's item order; refuse different item sets."""
    b_ids = baseline.column("item_id").to_pylist()
    c_ids = candidate.column("item_id").to_pylist()
    if b_ids == c_ids:
        return candidate
    if len(set(b_ids)) != len(b_ids) or sorted(b_ids) != sorted(c_ids):
        raise ValueError(
            "baseline and candidate must hold the same items once each "
            f"({baseline.num_rows} and {candidate.num_rows} rows)"
        )
    where = {item: i for i, item in enumerate(c_ids)}
    return candidate.take(pa.array([where[item] for item in b_ids], pa.int64()))


def _bool(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(False).to_numpy(zero_copy_only=False), bool)


def _labelled(table: pa.Table) -> np.ndarray:
    return np.asarray(table.column("violating").is_valid().to_numpy(zero_copy_only=False), bool)


def _ints(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(0).to_numpy(zero_copy_only=False), np.float64)


def _strings(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).fill_null("").to_numpy(zero_copy_only=False), object)


def _actions(table: pa.Table) -> list[str]:
    present = {a for a in table.column("action").to_pylist() if a}
    return sorted(present, key=lambda a: (ACTIONS.index(a) if a in ACTIONS else len(ACTIONS), a))


def _quantities(table: pa.Table) -> dict[str, np.ndarray]:
    """The per-item quantities every metric of one table is a sum of (numeric arrays), plus the
    per-item keys the costs are looked up by (``key.*``, object arrays, not summed)."""
    action = _strings(table, "action")
    labelled = _labelled(table)
    violating = labelled & _bool(table, "violating")
    clean = labelled & ~violating
    enforced = _bool(table, "enforced")
    before = _ints(table, "views_before_action")
    exposure = np.where(enforced, before, _ints(table, "views_total")) * violating
    out: dict[str, np.ndarray] = {f"action.{a}": action == a for a in ACTIONS}
    for a in set(action.tolist()) - set(ACTIONS) - {""}:
        out[f"action.{a}"] = action == a
    out |= {
        "one": np.ones(table.num_rows),
        "enforced": enforced,
        "labelled": labelled,
        "violating": violating,
        "clean": clean,
        "true_positive": enforced & violating,
        "enforced_labelled": enforced & labelled,
        "false_positive": enforced & clean,
        "missed": violating & ~enforced,
        "views_before_tp": before * (enforced & violating),
        "exposure": exposure,
        "key.enforced_action": _strings(table, "enforced_action"),
        "key.segment": _strings(table, "segment"),
    }
    return out


def _metrics(baseline: pa.Table, candidate: pa.Table, cost_rows: tuple[str, ...]) -> list[_Metric]:
    actions = _actions(baseline)
    actions += [a for a in _actions(candidate) if a not in actions]
    actions.sort(key=lambda a: (ACTIONS.index(a) if a in ACTIONS else len(ACTIONS), a))
    metrics = [_Metric(f"action_share.{a}", f"action.{a}", "one") for a in actions]
    metrics += [
        _Metric("sent_to_review", "action.review"),
        _Metric("actioned_total", "enforced"),
        _Metric("precision_any_action", "true_positive", "enforced_labelled"),
        _Metric("recall_any_action", "true_positive", "violating"),
        _Metric("false_positive_rate_any_action", "false_positive", "clean"),
        _Metric("violating_unactioned_per_10k", "missed", "labelled", 10_000.0),
        _Metric("views_before_action_mean_violating", "views_before_tp", "true_positive"),
        _Metric("violating_exposure", "exposure"),
    ]
    metrics += [_Metric(name, name) for name in cost_rows]
    return metrics


def _evaluate(metric: _Metric, side: str, named: Mapping[str, int], sums: np.ndarray) -> np.ndarray:
    """The metric for every row of ``sums`` (NaN where its denominator is 0)."""
    numerator = sums[:, named[f"{side}.{metric.numerator}"]]
    if metric.denominator is None:
        return numerator * metric.scale
    denominator = sums[:, named[f"{side}.{metric.denominator}"]]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan) * metric.scale


def _row(name: str, base: float, cand: float, deltas: np.ndarray, alpha: float) -> MetricRow:
    if math.isnan(base) or math.isnan(cand):
        return MetricRow(name, _finite(base), _finite(cand), None, None, None, NOT_ESTIMABLE)
    bounds = finite_quantiles(deltas, two_sided(alpha))
    if bounds is None:
        return MetricRow(name, base, cand, cand - base, None, None, NOT_ESTIMABLE)
    low, high = bounds
    verdict = SIGNIFICANT if low > 0 or high < 0 else NO_CHANGE
    return MetricRow(name, base, cand, cand - base, low, high, verdict)


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
