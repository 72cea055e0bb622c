"""Compare two policies on the same items (item tables aligned on ``item_id``): per metric both
values, the delta and its paired-bootstrap interval, with cost rows from a ``CostModel``.
Method and cost rules: docs/internals/impact.md; metrics: docs/metrics.md, 'Policy comparison'."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from deepscreen.core import metrics as definitions
from deepscreen.core.decisions import Action
from deepscreen.impact.costs import DEFAULT_KEY, CostModel
from deepscreen.stats import paired_bootstrap_sums
from deepscreen.stats.common import check_confidence, check_replicates, finite_quantiles, two_sided

ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)

COMPARED: tuple[str, ...] = (
    "sent_to_review",
    "actioned_total",
    "precision_any_action",
    "recall_any_action",
    "false_positive_rate_any_action",
    "violating_unactioned_per_10k",
    "views_before_action_mean_violating",
    "violating_exposure",
    "review_cost",
    "wrongful_action_cost",
    "harm",
    "total_cost",
)
"""The comparison's metrics after the action shares; names shared with the metric table
(``sent_to_review``, ``actioned_total``, ``*_any_action``) mean the same there."""

DEFINITIONS: Mapping[str, str] = {name: definitions.definition(name) for name in COMPARED}
"""What every metric means, from ``core.metrics`` (docs/metrics.md, 'Policy comparison')."""


def definition(metric: str) -> str:
    """The metric's definition; action shares of any action are defined too."""
    return definitions.definition(metric)


SIGNIFICANT = "significant"
NO_CHANGE = "no significant change"
NOT_ESTIMABLE = "not estimable"


COST_METRICS: tuple[str, ...] = ("review_cost", "wrongful_action_cost", "harm")
"""The cost rows ``total_cost`` adds up, in table order."""


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One metric of both policies; ``None`` where it cannot be estimated (zero denominator)."""

    metric: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "delta": self.delta,
            "delta_ci_low": self.ci_low,
            "delta_ci_high": self.ci_high,
            "verdict": self.verdict,
            "definition": definition(self.metric),
        }


COMPARISON_SCHEMA = pa.schema(
    [
        ("metric", pa.string()),
        ("baseline", pa.float64()),
        ("candidate", pa.float64()),
        ("delta", pa.float64()),
        ("delta_ci_low", pa.float64()),
        ("delta_ci_high", pa.float64()),
        ("verdict", pa.string()),
        ("definition", pa.string()),
    ]
)


@dataclass(frozen=True)
class Comparison:
    rows: tuple[MetricRow, ...]
    items: int
    labelled: int
    violating: int
    n_boot: int
    seed: int
    confidence: float
    costs: CostModel | None
    cost_notes: tuple[str, ...] = ()
    """Why a cost row (and ``total_cost``) was left out: the missing input, by setting."""

    def row(self, metric: str) -> MetricRow:
        for r in self.rows:
            if r.metric == metric:
                return r
        raise KeyError(metric)

    def to_table(self) -> pa.Table:
        return pa.Table.from_pylist([r.to_dict() for r in self.rows], schema=COMPARISON_SCHEMA)

    def to_dict(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "labelled": self.labelled,
            "violating": self.violating,
            "bootstrap": {
                "method": "paired percentile bootstrap over items",
                "replicates": self.n_boot,
                "seed": self.seed,
                "confidence": self.confidence,
            },
            "costs": None if self.costs is None else self.costs.to_dict(),
            "cost_assumptions": [] if self.costs is None else self.costs.assumptions(),
            "cost_notes": list(self.cost_notes),
            "metrics": [r.to_dict() for r in self.rows],
        }


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
