"""Sheet 8 (use of automated means: measures solely automated or not, classifier quality), the
CSER quarterly table, and every sheet in the templates' order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from deepscreen.compliance.transparency.appeals import appeals_sheet
from deepscreen.compliance.transparency.cells import (
    count_cell,
    estimate_context,
    float_cell,
    indicator_row,
)
from deepscreen.compliance.transparency.inputs import ClassifierQuality, Sheet, TransparencyInputs
from deepscreen.compliance.transparency.own_initiative import own_initiative_sheet, summary_sheet
from deepscreen.compliance.transparency.texts import (
    ALL,
    AUTOMATED_SECTION,
    CSER_HEADER,
    FULLY_AUTOMATED,
    ILLEGAL,
    INCOMPATIBLE,
    INDICATOR_HEADER,
    NOT_BY_AUTOMATED,
    OWN_INITIATIVE,
    QUALITY_INDICATORS,
    S_OWN,
    S_TOTAL,
    SOLELY_BY_AUTOMATED,
)
from deepscreen.impact.dsa_estimates import Estimate, QuarterFigures


def _quality_rows(
    inputs: TransparencyInputs, scope: str, quality: Sequence[ClassifierQuality] | None
) -> list[tuple[str, ...]]:
    """Accuracy/Precision/Recall rows per classifier; blank rows with the reason when
    ``quality`` is None (not reported for this scope) or empty (none supplied)."""
    if not quality:
        reason = (
            "Blank: the automated means do not act on own initiative only, and their accuracy "
            "is not measured per source."
            if quality is None
            else "Blank: no classifier had labelled items in the period."
        )
        return [
            indicator_row(inputs, ALL, AUTOMATED_SECTION, indicator, scope, "", reason)
            for indicator in QUALITY_INDICATORS.values()
        ]
    rows = []
    for entry in quality:
        for name, indicator in QUALITY_INDICATORS.items():
            estimate: Estimate = getattr(entry, name)
            context = estimate_context(estimate, f"Classifier: {entry.classifier}.")
            if entry.note:
                context = f"{context} {entry.note}"
            rows.append(
                indicator_row(
                    inputs,
                    ALL,
                    AUTOMATED_SECTION,
                    indicator,
                    scope,
                    float_cell(estimate.value),
                    context,
                )
            )
    return rows


def automated_means_sheet(inputs: TransparencyInputs) -> Sheet:
    """``Part_8_automated_means``: measures solely / not solely automated (all sources, then own
    initiative) and the supplied accuracy, precision and recall per classifier."""
    statements = list(inputs.statements)
    own = [s for s in statements if s.get("source_type") == OWN_INITIATIVE]
    rows: list[tuple[str, ...]] = []
    for scope, selected, quality in (
        (S_TOTAL, statements, list(inputs.quality)),
        (S_OWN, own, list(inputs.quality) if inputs.own_initiative_quality else None),
    ):
        solely = sum(s.get("automated_decision") == FULLY_AUTOMATED for s in selected)
        selection = (
            "Statements of reasons whose restriction started in the reporting period (UTC)"
            + (f", source_type {OWN_INITIATIVE}" if scope == S_OWN else "")
        )
        rows.append(
            indicator_row(
                inputs,
                ALL,
                AUTOMATED_SECTION,
                SOLELY_BY_AUTOMATED,
                scope,
                count_cell(solely),
                f"{selection}, automated_decision {FULLY_AUTOMATED}.",
            )
        )
        rows.append(
            indicator_row(
                inputs,
                ALL,
                AUTOMATED_SECTION,
                NOT_BY_AUTOMATED,
                scope,
                count_cell(len(selected) - solely),
                f"{selection}, not solely automated: a person confirmed or chose the action.",
            )
        )
        rows.extend(_quality_rows(inputs, scope, quality))
    return Sheet("Part_8_automated_means", INDICATOR_HEADER, tuple(rows))


def cser_sheet(quarters: Iterable[QuarterFigures]) -> Sheet:
    """``CSER_quarterly``: one row per quarter, values as supplied (prevalence per 10,000 with
    its interval and n; proactive rate a share)."""
    rows = []
    for q in quarters:
        rows.append(
            (
                q.quarter,
                q.period.label,
                count_cell(q.uploads),
                float_cell(q.prevalence.value),
                float_cell(q.prevalence.ci_low),
                float_cell(q.prevalence.ci_high),
                count_cell(q.prevalence.n),
                count_cell(q.actioned),
                float_cell(q.proactive_rate.value),
                count_cell(q.appealed),
                count_cell(q.restored_with_appeal + q.restored_without_appeal),
                count_cell(q.restored_with_appeal),
                count_cell(q.restored_without_appeal),
            )
        )
    return Sheet("CSER_quarterly", CSER_HEADER, tuple(rows))


# --------------------------------------------------------------------------- all


def transparency_sheets(inputs: TransparencyInputs) -> list[Sheet]:
    """Every sheet deepscreen fills, in the templates' order, the CSER table last."""
    return [
        summary_sheet(inputs),
        own_initiative_sheet(inputs, ILLEGAL),
        own_initiative_sheet(inputs, INCOMPATIBLE),
        appeals_sheet(inputs),
        automated_means_sheet(inputs),
        cser_sheet(inputs.quarters),
    ]
