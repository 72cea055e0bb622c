"""The simulation chart: headline metrics per policy across simulated runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from deepscreen.report.charts import base as b
from deepscreen.report.formatting import unit_of

SIMULATION_METRICS: tuple[str, ...] = (
    "recall_any_action",
    "false_positive_rate_any_action",
    "time_to_action_median_hours",
    "sent_to_review",
    "violating_views_realised",
)
"""Headline metrics :func:`simulation_chart` plots unless told otherwise."""


# --------------------------------------------------------------------------- simulation


def simulation_chart(
    simulation: Mapping[str, Any] | None, metrics: Sequence[str] = SIMULATION_METRICS
) -> str | None:
    """Per policy combination, each headline metric's mean with its 95% interval (simulated).

    One panel per metric (its own scale and unit), stacked; metrics absent from the rows are
    left out.
    """
    sim = simulation or {}
    combinations = [str(c) for c in sim.get("combinations") or []]
    panels: list[Any] = []
    for metric in metrics:
        data: list[dict[str, Any]] = [
            {
                "combination": str(r.get("combination")),
                "value": b.num(r.get("value")),
                "ci_low": b.num(r.get("ci_low")),
                "ci_high": b.num(r.get("ci_high")),
            }
            for r in sim.get("rows") or []
            if r.get("metric") == metric and b.num(r.get("value")) is not None
        ]
        if not data:
            continue
        order = combinations or sorted({str(r["combination"]) for r in data})
        share = unit_of(metric) == "share"
        axis = alt.Axis(format="%") if share else alt.Axis()
        x_title = b.axis_title(metric)
        x = alt.X("value:Q", title=x_title, axis=axis)
        y = alt.Y("combination:N", sort=order, title=None)
        points = b.chart(data).mark_point(filled=True, size=60, opacity=1)
        colour = alt.Color("combination:N", sort=order, legend=None)
        layers: list[Any] = [points.encode(x=x, y=y, color=colour)]
        ci = [r for r in data if b.with_ci(r)]
        if ci:
            ci_x = alt.X("ci_low:Q", title=x_title, axis=axis)
            layers.append(b.errorbars(ci, ci_x, "ci_high", y=y, color=colour))
        height = max(40, 24 * len(order))
        panels.append(alt.layer(*layers).properties(width=b.WIDTH - 200, height=height))
    if not panels:
        return None
    note = str(sim.get("simulated_note") or "")
    title = b.title(
        "Policy combinations, simulated: headline metrics",
        [note, f"mean over replications; {b.CI_NOTE}"],
    )
    chart = alt.vconcat(*panels, title=title).resolve_scale(color="shared")
    return b.svg(chart)
