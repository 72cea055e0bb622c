"""What the policy cost and what it was worth (``cost_report``), from the item table and a
``CostModel`` of the ``[costs]`` settings; a figure whose input is unset is None with the reason.
Figures: docs/metrics.md, 'Cost figures'; notes: docs/internals/impact.md."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa

from deepscreen.core.numbers import format_value
from deepscreen.impact.cost_columns import _Columns
from deepscreen.impact.cost_figures import FIGURES, CostFigure, CostReport
from deepscreen.impact.cost_model import DEFAULT_KEY, DEFAULT_SOURCE, CostModel, _number, money

__all__ = [
    "DEFAULT_KEY",
    "DEFAULT_SOURCE",
    "FIGURES",
    "CostFigure",
    "CostModel",
    "CostReport",
    "cost_report",
    "fp_review_cost",
    "money",
    "observed_false_positive_rate",
]


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
    return _itemised(name, unit, formula, basis, breakdown, inputs)


def _itemised(
    name: str, unit: str, formula: str, basis: str, breakdown: dict[str, float], inputs: list[str]
) -> CostFigure:
    """The figure that sums ``breakdown``, each part's input stated in ``inputs``."""
    total = sum(breakdown.values())
    return CostFigure(name, total, unit, formula, tuple(inputs), basis=basis, breakdown=breakdown)


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
    return _itemised(name, unit, formula, basis, breakdown, inputs)


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
