"""``GET /v1/metrics``: the impact metric table as JSON records."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from deepscreen.api.context import Context, authenticated_router
from deepscreen.api.schemas.inputs import MAX_SAFE_INTEGER
from deepscreen.api.schemas.reports import MetricRow, MetricsOut
from deepscreen.service.impact import impact_report, to_records

router = authenticated_router("metrics", 401, 403, 422, 500, 503)


@router.get("/v1/metrics", name="get_metrics", operation_id="get_metrics")
def get_metrics(
    ctx: Context,
    period: Annotated[
        Literal["day", "week", "month", "all"], Query(description="Cohorts by upload period.")
    ] = "month",
    by: Annotated[
        list[Literal["segment", "policy"]] | None,
        Query(description="Breakdowns besides the `all` rollup (repeat; default both)."),
    ] = None,
    bootstrap: Annotated[
        bool, Query(description="Bootstrap intervals for means and medians.")
    ] = True,
    n_boot: Annotated[int, Query(ge=100, le=10_000, description="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, Query(ge=0, le=MAX_SAFE_INTEGER, description="Bootstrap seed.")] = 0,
) -> MetricsOut:
    """One row per (period, policy revision, segment, metric) with its value, 95% interval,
    sample size and definition, computed from the event log, then the cost figures the
    configured cost inputs allow."""
    breakdowns = {"segment", "policy"} if by is None else set(by)
    report = impact_report(
        ctx.services,
        ctx.settings.costs.model_dump(),
        period=period,
        by_segment="segment" in breakdowns,
        by_policy="policy" in breakdowns,
        n_boot=n_boot,
        seed=seed,
        bootstrap=bootstrap,
        review_sla_hours=ctx.settings.review.default_sla_hours,  # as `deepscreen impact`
    )
    rows = [MetricRow.model_validate(r) for r in to_records(report.table)]
    return MetricsOut(items=report.items.num_rows, period=period, rows=rows)
