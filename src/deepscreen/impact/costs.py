"""What the policy cost and what it was worth (``cost_report``), from the item table and a
``CostModel`` of the ``[costs]`` settings; a figure whose input is unset is None with the reason.
Figures: docs/metrics.md, 'Cost figures'; notes: docs/internals/impact.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.numbers import format_number, format_value
from deepscreen.impact.cell_sums import numpy_of

DEFAULT_SOURCE = "settings [costs]"
DEFAULT_KEY = "default"


def money(value: float, currency: str) -> str:
    return format_value(value, "money", currency=currency)


def _number(value: float) -> str:
    return format_number(value)


@dataclass(frozen=True)
class CostModel:
    """Cost inputs as plain values (mirrors ``settings.CostSettings``); ``None``/empty = unset."""

    currency: str = "USD"
    review_cost_per_item: float | None = None
    reviewer_cost_per_hour: float | None = None
    review_minutes_per_item: float | None = None
    monthly_volume: int | None = None
    wrongful_action_cost: Mapping[str, float] = field(default_factory=dict)
    harm_per_violating_view: Mapping[str, float] = field(default_factory=dict)
    severity_by_segment: Mapping[str, str] = field(default_factory=dict)
    viral_views_threshold: int | None = None
    brand_damage_per_viral_incident: float | None = None
    source: str = DEFAULT_SOURCE
    """Where the inputs came from, named in every assumption line."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = DEFAULT_SOURCE) -> CostModel:
        """From e.g. ``settings.costs.model_dump()``; an unknown key is an error (a typo would
        otherwise silently drop a cost)."""
        known = {f.name for f in fields(cls)} - {"source"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown cost inputs {unknown}; known: {sorted(known)}")

        def optional(name: str, kind: type[float] | type[int]) -> Any:
            value = data.get(name)
            return None if value is None else kind(value)

        return cls(
            currency=str(data.get("currency") or "USD"),
            review_cost_per_item=optional("review_cost_per_item", float),
            reviewer_cost_per_hour=optional("reviewer_cost_per_hour", float),
            review_minutes_per_item=optional("review_minutes_per_item", float),
            monthly_volume=optional("monthly_volume", int),
            wrongful_action_cost={
                str(k): float(v) for k, v in (data.get("wrongful_action_cost") or {}).items()
            },
            harm_per_violating_view={
                str(k): float(v) for k, v in (data.get("harm_per_violating_view") or {}).items()
            },
            severity_by_segment={
                str(k): str(v) for k, v in (data.get("severity_by_segment") or {}).items()
            },
            viral_views_threshold=optional("viral_views_threshold", int),
            brand_damage_per_viral_incident=optional("brand_damage_per_viral_incident", float),
            source=source,
        )

    @property
    def review_cost_per_item_effective(self) -> float | None:
        """The explicit per-item cost, else per hour × minutes / 60, else ``None``."""
        if self.review_cost_per_item is not None:
            return self.review_cost_per_item
        if self.reviewer_cost_per_hour is not None and self.review_minutes_per_item is not None:
            return self.reviewer_cost_per_hour * self.review_minutes_per_item / 60.0
        return None

    def review_cost_input(self) -> str | None:
        """The review cost per item as an input line (value, unit, where it came from)."""
        value = self.review_cost_per_item_effective
        if value is None:
            return None
        if self.review_cost_per_item is not None:
            return (
                f"review cost per item: {money(value, self.currency)} "
                f"({self.source}.review_cost_per_item)"
            )
        return (
            f"review cost per item: {money(value, self.currency)} = "
            f"{money(self.reviewer_cost_per_hour or 0.0, self.currency)}/hour × "
            f"{_number(self.review_minutes_per_item or 0.0)} min / 60 "
            f"({self.source}.reviewer_cost_per_hour, review_minutes_per_item)"
        )

    def wrongful_cost(self, action: str) -> float | None:
        """Cost of one wrongful ``action``; the ``default`` key covers actions without one."""
        if action in self.wrongful_action_cost:
            return self.wrongful_action_cost[action]
        return self.wrongful_action_cost.get(DEFAULT_KEY)

    def severity(self, segment: str | None) -> str:
        """The segment's severity name; ``default`` for segments without one."""
        return self.severity_by_segment.get(segment or "", DEFAULT_KEY)

    def harm_per_view(self, segment: str | None) -> float | None:
        """Harm of one violating view in ``segment``: the rate of its severity (``default`` only
        for segments without a severity), ``None`` when that rate is not configured."""
        return self.harm_per_violating_view.get(self.severity(segment))

    def assumptions(self) -> list[str]:
        """One line per configured input: its value, unit and where it came from."""
        c, src = self.currency, self.source
        lines: list[str] = []
        review = self.review_cost_input()
        if review is not None:
            lines.append(review)
        if self.monthly_volume is not None:
            lines.append(
                f"monthly volume: {self.monthly_volume:,} uploads/month ({src}.monthly_volume)"
            )
        for action, cost in sorted(self.wrongful_action_cost.items()):
            what = "any other action" if action == DEFAULT_KEY else action
            lines.append(
                f"wrongful-action cost, {what}: {money(cost, c)} per wrongful action "
                f"({src}.wrongful_action_cost.{action})"
            )
        for severity, harm in sorted(self.harm_per_violating_view.items()):
            what = "segments without a severity" if severity == DEFAULT_KEY else severity
            lines.append(
                f"harm per violating view, {what}: {harm:g} {c} per view "
                f"({src}.harm_per_violating_view.{severity})"
            )
        for segment, severity in sorted(self.severity_by_segment.items()):
            lines.append(f"segment {segment!r} has severity {severity} ({src}.severity_by_segment)")
        if self.viral_views_threshold is not None:
            lines.append(
                f"viral incident: a violating item with more than "
                f"{self.viral_views_threshold:,} views ({src}.viral_views_threshold)"
            )
        if self.brand_damage_per_viral_incident is not None:
            lines.append(
                f"brand damage per viral incident: "
                f"{money(self.brand_damage_per_viral_incident, c)} "
                f"({src}.brand_damage_per_viral_incident)"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "review_cost_per_item": self.review_cost_per_item,
            "reviewer_cost_per_hour": self.reviewer_cost_per_hour,
            "review_minutes_per_item": self.review_minutes_per_item,
            "review_cost_per_item_effective": self.review_cost_per_item_effective,
            "monthly_volume": self.monthly_volume,
            "wrongful_action_cost": dict(self.wrongful_action_cost),
            "harm_per_violating_view": dict(self.harm_per_violating_view),
            "severity_by_segment": dict(self.severity_by_segment),
            "viral_views_threshold": self.viral_views_threshold,
            "brand_damage_per_viral_incident": self.brand_damage_per_viral_incident,
            "source": self.source,
        }


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


@dataclass(frozen=True)
class _Strings:
    """A string column compared and read in Arrow: no Python object per row — a simulated
    month is tens of millions of rows — and Python strings only for the rows asked for."""

    column: pa.ChunkedArray

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Strings:
        return cls(column)

    def equals(self, value: str) -> np.ndarray:
        return _numpy(pc.fill_null(pc.equal(self.column, value), False), bool)

    @property
    def present(self) -> np.ndarray:
        return _numpy(pc.is_valid(self.column), bool)

    def strings(self, mask: np.ndarray, null: str = "") -> np.ndarray:
        """The values where ``mask`` as a str array (``null`` for missing values)."""
        return np.asarray(self._picked(mask, null).to_pylist(), dtype=str)

    def tally(self, mask: np.ndarray, null: str = "") -> dict[str, int]:
        """How many rows where ``mask`` have each value (``null`` for missing values)."""
        counted = pc.value_counts(self._picked(mask, null))
        values, counts = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
        return dict(zip(values, counts, strict=True))

    def _picked(self, mask: np.ndarray, null: str) -> pa.ChunkedArray:
        return pc.fill_null(self.column.filter(pa.array(mask, pa.bool_())), null)


def _numpy(column: pa.ChunkedArray, dtype: type) -> np.ndarray:
    return np.asarray(numpy_of(column), dtype=dtype).reshape(-1)


@dataclass(frozen=True)
class _Columns:
    """The item-table columns the figures read, as numpy arrays (nulls made explicit)."""

    action: _Strings
    violating_mask: np.ndarray  # bool: labelled violating
    clean_mask: np.ndarray  # bool: labelled non-violating
    enforced: np.ndarray  # bool
    enforced_action: _Strings
    label_source: _Strings
    segment: _Strings
    views_total: np.ndarray  # int64
    views_before: np.ndarray  # int64, 0 where null

    @classmethod
    def of(cls, items: pa.Table) -> _Columns:
        """Column conversions in Arrow/NumPy (no Python loop over rows)."""

        def filled(name: str, value: object, dtype: type) -> np.ndarray:
            return _numpy(pc.fill_null(items.column(name), value), dtype)

        violating = items.column("violating")
        labelled = _numpy(pc.is_valid(violating), bool)
        truth = _numpy(pc.fill_null(violating, False), bool)
        return cls(
            action=_Strings.of(items.column("action")),
            violating_mask=labelled & truth,
            clean_mask=labelled & ~truth,
            enforced=filled("enforced", False, bool),
            enforced_action=_Strings.of(items.column("enforced_action")),
            label_source=_Strings.of(items.column("label_source")),
            segment=_Strings.of(items.column("segment")),
            views_total=filled("views_total", 0, np.int64),
            views_before=filled("views_before_action", 0, np.int64),
        )


def observed_false_positive_rate(items: pa.Table) -> tuple[float | None, int, int]:
    """(rate, k, n): the metric table's ``false_positive_rate_flagged`` over these items —
    labelled non-violating items whose automated decision is anything but allow (review
    included; no decision counts as allow) ÷ labelled non-violating items."""
    cols = _Columns.of(items)
    flagged = cols.action.present & ~cols.action.equals("allow")
    n = int(cols.clean_mask.sum())
    k = int((cols.clean_mask & flagged).sum())
    return (k / n if n else None), k, n


def cost_report(
    items: pa.Table,
    model: CostModel,
    *,
    false_positive_rate: float | None = None,
    false_positive_rate_source: str | None = None,
    scale_to_population: bool = False,
) -> CostReport:
    """Every figure the inputs allow (docs/internals/impact.md). ``false_positive_rate`` is the
    period's rate if given (``false_positive_rate_source`` names where it came from), else
    computed from the labelled items as in ``impact.summary``."""
    cols = _Columns.of(items)
    total = items.num_rows
    labelled = int(np.count_nonzero(cols.violating_mask | cols.clean_mask))
    assumptions = list(model.assumptions())
    scale, basis = _scale(total, labelled, scale_to_population, assumptions)

    figures: dict[str, CostFigure] = {}
    figures["fp_review_cost"] = _fp_review_cost(
        items, model, false_positive_rate, false_positive_rate_source
    )
    figures["review_labour"] = _review_labour(cols, model)
    figures["wrongful_actions"] = _wrongful_actions(cols, model, scale, basis)
    views_after = np.maximum(cols.views_total - cols.views_before, 0)
    enforced_violating = cols.violating_mask & cols.enforced
    figures["harm_avoided"] = _harm(
        "harm avoided",
        enforced_violating,
        views_after,
        cols,
        model,
        scale,
        basis,
        "Σ views after action (views_total − views_before_action) of enforced violating items "
        "× harm per view of the segment's severity",
    )
    if enforced_violating.any():
        assumptions.append(
            "views after an action were prevented or neutralised by it (a label or a removal "
            "counts as stopping the harm of every later view)"
        )
    figures["residual_harm"] = _harm(
        "residual harm",
        cols.violating_mask & ~cols.enforced,
        cols.views_total,
        cols,
        model,
        scale,
        basis,
        "Σ views of violating items never actioned × harm per view of the segment's severity",
    )
    figures["viral_incidents"], figures["viral_damage"] = _viral(cols, model, scale, basis)
    figures["net_value"] = _net_value(figures, model.currency)
    if labelled < total and not scale_to_population:
        assumptions.append(
            f"figures that need ground truth count the {labelled:,} labelled items only "
            f"(not scaled to the {total:,} items)"
        )
    return CostReport(
        items=total,
        labelled=labelled,
        currency=model.currency,
        figures=figures,
        assumptions=tuple(assumptions),
    )


def _scale(
    total: int, labelled: int, scale_to_population: bool, assumptions: list[str]
) -> tuple[float, str]:
    if not scale_to_population or labelled == 0:
        return 1.0, f"{labelled:,} labelled items"
    factor = total / labelled
    assumptions.append(
        f"labelled items are a simple random sample of the items: figures that need ground "
        f"truth are scaled by items ÷ labelled = {total:,} / {labelled:,} = {factor:.4g}"
    )
    return factor, f"{labelled:,} labelled items scaled ×{factor:.4g} to {total:,} items"


def _fp_review_cost(
    items: pa.Table, model: CostModel, given: float | None, given_source: str | None
) -> CostFigure:
    if given is not None:
        return fp_review_cost(model, given, given_source or "given for the period")
    rate, k, n = observed_false_positive_rate(items)
    return fp_review_cost(
        model,
        rate,
        f"false_positive_rate_flagged: {k:,} of {n:,} labelled non-violating items flagged "
        "(any decision but allow, review included)",
    )


def fp_review_cost(model: CostModel, rate: float | None, rate_source: str) -> CostFigure:
    """The seed formula: false-positive rate × review cost per item × monthly volume (per
    month); ``rate_source`` says where the rate came from (None: not known)."""
    name, unit = "false-positive review cost", f"{model.currency}/month"
    formula = "false_positive_rate_flagged × review cost per item × monthly volume"
    missing = []
    if rate is None:
        missing.append("no labelled non-violating item with a decision (false-positive rate)")
    review = model.review_cost_per_item_effective
    if review is None:
        missing.append(_missing_review(model))
    if model.monthly_volume is None:
        missing.append(f"no monthly volume ({model.source}.monthly_volume)")
    if missing or rate is None or review is None or model.monthly_volume is None:
        return CostFigure(name, None, unit, formula, reason="; ".join(missing))
    inputs = (
        f"false-positive rate (flagged): {format_value(rate, 'share')} ({rate_source})",
        model.review_cost_input() or "",
        f"monthly volume: {model.monthly_volume:,} uploads/month ({model.source}.monthly_volume)",
    )
    value = rate * review * model.monthly_volume
    return CostFigure(name, value, unit, formula, inputs, basis="per month")


def _missing_review(model: CostModel) -> str:
    return (
        f"no review cost ({model.source}.review_cost_per_item, or reviewer_cost_per_hour "
        "with review_minutes_per_item)"
    )


def _review_labour(cols: _Columns, model: CostModel) -> CostFigure:
    name, unit = "review labour", model.currency
    reviewed = int(np.count_nonzero(cols.label_source.equals("review")))
    formula = f"{reviewed:,} items reviewed by a person × review cost per item"
    review = model.review_cost_per_item_effective
    if reviewed == 0:
        return CostFigure(name, 0.0, unit, formula, basis="no item was reviewed by a person")
    if review is None:
        return CostFigure(name, None, unit, formula, reason=_missing_review(model))
    return CostFigure(
        name,
        reviewed * review,
        unit,
        formula,
        (model.review_cost_input() or "",),
        basis="imported labels are not reviews",
    )


def _wrongful_actions(cols: _Columns, model: CostModel, scale: float, basis: str) -> CostFigure:
    name, unit = "wrongful actions", model.currency
    wrongful = cols.clean_mask & cols.enforced
    counts = Counter(cols.enforced_action.tally(wrongful, "None"))
    parts = " + ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "0"
    formula = f"labelled non-violating enforced items per action ({parts}) × wrongful-action cost"
    if not counts:
        return CostFigure(name, 0.0, unit, formula, basis=basis)
    missing = sorted(a for a in counts if model.wrongful_cost(a) is None)
    if missing:
        return CostFigure(
            name,
            None,
            unit,
            formula,
            reason=f"no wrongful-action cost for {', '.join(missing)} "
            f"({model.source}.wrongful_action_cost)",
        )
    breakdown, inputs = {}, []
    for action, n in sorted(counts.items()):
        cost = model.wrongful_cost(action)
        assert cost is not None
        breakdown[action] = n * cost * scale
        key = action if action in model.wrongful_action_cost else DEFAULT_KEY
        inputs.append(
            f"wrongful {action}: {money(cost, model.currency)} "
            f"({model.source}.wrongful_action_cost.{key})"
        )
    return CostFigure(
        name, sum(breakdown.values()), unit, formula, tuple(inputs), basis=basis,
        breakdown=breakdown,
    )  # fmt: skip


def _harm(
    name: str,
    mask: np.ndarray,
    views: np.ndarray,
    cols: _Columns,
    model: CostModel,
    scale: float,
    basis: str,
    formula: str,
) -> CostFigure:
    unit = model.currency
    if not mask.any():
        return CostFigure(name, 0.0, unit, formula, basis=basis)
    segment_names, inverse = np.unique(
        cols.segment.strings(mask),
        return_inverse=True,
    )
    missing = _missing_harm(segment_names.tolist(), model)
    if missing:
        return CostFigure(name, None, unit, formula, reason=missing)
    views_by_segment = np.bincount(inverse, weights=views[mask].astype(np.float64))
    by_severity: dict[str, float] = {}
    for segment, total in zip(segment_names.tolist(), views_by_segment.tolist(), strict=True):
        severity = model.severity(segment)
        by_severity[severity] = by_severity.get(severity, 0.0) + total
    breakdown: dict[str, float] = {}
    inputs = []
    for severity, total_views in sorted(by_severity.items()):
        rate = model.harm_per_violating_view[severity]
        breakdown[severity] = total_views * rate * scale
        inputs.append(
            f"{_number(total_views)} views × {rate:g} {unit}/view "
            f"({model.source}.harm_per_violating_view.{severity})"
        )
    return CostFigure(
        name, sum(breakdown.values()), unit, formula, tuple(inputs), basis=basis,
        breakdown=breakdown,
    )  # fmt: skip


def _missing_harm(segments: Iterable[str], model: CostModel) -> str | None:
    lacking: dict[str, set[str]] = {}
    for segment in segments:
        if model.harm_per_view(segment) is None:
            lacking.setdefault(model.severity(segment), set()).add(segment or "(none)")
    if not lacking:
        return None
    parts = [
        f"severity {severity!r} (segments {', '.join(sorted(segs))})"
        for severity, segs in sorted(lacking.items())
    ]
    where = f"{model.source}.harm_per_violating_view"
    return f"no harm per violating view for {'; '.join(parts)} ({where})"


def _viral(
    cols: _Columns, model: CostModel, scale: float, basis: str
) -> tuple[CostFigure, CostFigure]:
    threshold = model.viral_views_threshold
    count_formula = (
        "violating items with views_total > threshold not actioned before crossing it "
        "(never enforced, or views_before_action ≥ threshold)"
    )
    damage_formula = "viral incidents × brand damage per incident"
    currency = model.currency
    if threshold is None:
        reason = f"no viral views threshold ({model.source}.viral_views_threshold)"
        return (
            CostFigure("viral incidents", None, "incidents", count_formula, reason=reason),
            CostFigure("viral damage", None, currency, damage_formula, reason=reason),
        )
    late = ~cols.enforced | (cols.views_before >= threshold)
    viral = cols.violating_mask & (cols.views_total > threshold) & late
    count = float(viral.sum()) * scale
    threshold_input = f"viral threshold: {threshold:,} views ({model.source}.viral_views_threshold)"
    incidents = CostFigure(
        "viral incidents", count, "incidents", count_formula, (threshold_input,), basis=basis
    )
    damage = model.brand_damage_per_viral_incident
    if damage is None:
        reason = (
            f"no brand damage per viral incident ({model.source}.brand_damage_per_viral_incident)"
        )
        return incidents, CostFigure("viral damage", None, currency, damage_formula, reason=reason)
    damage_input = (
        f"brand damage: {money(damage, currency)} per incident "
        f"({model.source}.brand_damage_per_viral_incident)"
    )
    return incidents, CostFigure(
        "viral damage",
        count * damage,
        currency,
        damage_formula,
        (threshold_input, damage_input),
        basis=basis,
    )


def _net_value(figures: Mapping[str, CostFigure], currency: str) -> CostFigure:
    formula = "harm avoided − review labour − wrongful-action cost"
    parts = [figures[k] for k in ("harm_avoided", "review_labour", "wrongful_actions")]
    missing = [f.name for f in parts if f.value is None]
    if missing:
        return CostFigure(
            "net value", None, currency, formula, reason=f"needs {', '.join(missing)}"
        )
    avoided, labour, wrongful = (f.value or 0.0 for f in parts)
    inputs = (
        f"harm avoided {money(avoided, currency)}",
        f"review labour {money(labour, currency)}",
        f"wrongful actions {money(wrongful, currency)}",
    )
    return CostFigure("net value", avoided - labour - wrongful, currency, formula, inputs)
