"""Sheet 7: complaints to the internal complaint-handling system (counts per outcome, median
time); out-of-court disputes and repeat-offender suspensions blank."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime

from deepscreen.compliance.transparency.cells import count_cell, float_cell, indicator_row
from deepscreen.compliance.transparency.inputs import Complaint, Sheet, TransparencyInputs
from deepscreen.compliance.transparency.texts import (
    ALL,
    COMPLAINT_INDICATORS,
    COMPLAINTS,
    DISPUTES,
    HOUR_SECONDS,
    INDICATOR_HEADER,
    INTERNAL,
    NEWLY_IMPOSED,
    ONLINE_PLATFORMS,
    OUT_OF_COURT,
    OUTCOME_SCOPES,
    REPEATED,
    S_IMPLEMENTED,
    S_MEDIAN,
    S_OMITTED,
    S_PARTIAL,
    S_REVERSED,
    S_TOTAL,
    S_UPHELD,
    SUSPENSIONS,
)


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / HOUR_SECONDS


def median_hours(complaints: Iterable[Complaint]) -> float | None:
    """Median (mean of the two middle values for an even count) of received → decided in hours
    over decided, not omitted, complaints; None when there are none."""
    hours = [
        hours_between(c.received_at, c.decided_at)
        for c in complaints
        if c.decided_at is not None and c.outcome != "omitted"
    ]
    return statistics.median(hours) if hours else None


def _outcome_rows(
    inputs: TransparencyInputs,
    indicator: str,
    complaints: Sequence[Complaint] | None,
    scopes: Sequence[str],
    first_applicability: str,
) -> list[tuple[str, ...]]:
    """Total, per-outcome counts and median time for complaints of one indicator; every cell
    blank (with a reason) when ``complaints`` is None, i.e. the path does not exist."""
    _, until = inputs.period.bounds()
    rows = []
    for index, scope in enumerate(scopes):
        applicability = first_applicability if index == 0 else ONLINE_PLATFORMS
        if complaints is None:
            reason = (
                "Blank: the service has no complaint path for such decisions." if index == 0 else ""
            )
            rows.append(
                indicator_row(inputs, applicability, INTERNAL, indicator, scope, "", reason)
            )
            continue
        decided = [c for c in complaints if c.decided_at is not None and c.decided_at < until]
        if scope == S_TOTAL:
            value = count_cell(len(complaints))
            context = (
                "Complaints received in the reporting period (UTC), decided or pending."
                if index == 0
                else ""
            )
        elif scope == S_MEDIAN:
            median = median_hours(decided)
            value = float_cell(median)
            context = (
                "Hours from receipt to decision, over complaints received in the period and "
                "decided before it ended (omitted decisions excluded)."
                + ("" if median is not None else " Blank: no such complaint.")
            )
        else:
            outcome = next(o for o, s in OUTCOME_SCOPES.items() if s == scope)
            value = count_cell(sum(c.outcome == outcome for c in decided))
            context = (
                "Complaints received in the period, decided before it ended."
                if scope == S_UPHELD
                else ""
            )
        rows.append(
            indicator_row(inputs, applicability, INTERNAL, indicator, scope, value, context)
        )
    return rows


def appeals_sheet(inputs: TransparencyInputs) -> Sheet:
    """``Part_7_appeals_and_recidivism``: the internal complaints section from ``complaints``;
    out-of-court disputes and repeat-offender suspensions are blank (no such data or action)."""
    received = [c for c in inputs.complaints if inputs.period.contains(c.received_at)]
    paths = set(inputs.complaint_paths) | {c.against for c in received}
    rows = _outcome_rows(
        inputs,
        COMPLAINTS,
        received,
        (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN, S_OMITTED),
        ALL,
    )
    can_impose = paths & {"notice", "trusted_flagger"}
    _, until = inputs.period.bounds()
    newly = [
        c
        for c in received
        if c.against in can_impose
        and c.decided_at is not None
        and c.decided_at < until
        and c.outcome in ("reversed", "partially_reversed")
    ]
    rows.append(
        indicator_row(
            inputs,
            ONLINE_PLATFORMS,
            INTERNAL,
            NEWLY_IMPOSED,
            S_TOTAL,
            count_cell(len(newly)) if can_impose else "",
            "Reversed or partially reversed complaints against a decision not to act on a notice."
            if can_impose
            else "Blank: complaints are only taken against restrictions, which a complaint can "
            "lift but never newly impose.",
        )
    )
    for against, indicator in COMPLAINT_INDICATORS.items():
        of_path = [c for c in received if c.against == against] if against in paths else None
        rows.extend(
            _outcome_rows(
                inputs,
                indicator,
                of_path,
                (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN),
                ONLINE_PLATFORMS,
            )
        )
    no_disputes = "Blank: out-of-court dispute settlements are not recorded by this service."
    for index, scope in enumerate(
        (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN, S_OMITTED, S_IMPLEMENTED)
    ):
        rows.append(
            indicator_row(
                inputs,
                ONLINE_PLATFORMS,
                OUT_OF_COURT,
                DISPUTES,
                scope,
                "",
                no_disputes if index == 0 else "",
            )
        )
    for indicator in SUSPENSIONS:
        rows.append(
            indicator_row(
                inputs,
                ONLINE_PLATFORMS,
                REPEATED,
                indicator,
                S_TOTAL,
                "",
                "Blank: the service suspends no accounts.",
            )
        )
    return Sheet("Part_7_appeals_and_recidivism", INDICATOR_HEADER, tuple(rows))
