"""Charts of the impact metric table: prevalence, actions, views before action, time to
action and review load per period."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

from deepscreen.report.charts import base as b
from deepscreen.report.formatting import label

ACTIONS: tuple[str, ...] = (
    "actioned_label",
    "actioned_downrank",
    "actioned_age_gate",
    "actioned_remove",
)
VIEW_BUCKETS: tuple[tuple[str, str], ...] = (
    ("views_before_action_0", "0"),
    ("views_before_action_1_10", "1–10"),
    ("views_before_action_11_100", "11–100"),
    ("views_before_action_101_1000", "101–1,000"),
    ("views_before_action_over_1000", ">1,000"),
)
TIMES: tuple[str, ...] = (
    "time_to_detect_median_hours",
    "time_to_action_median_hours",
    "time_to_action_p90_hours",
)


# --------------------------------------------------------------------------- impact metrics


def prevalence_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """violating_per_10k_uploads per period (rollup rows) with its 95% interval."""
    data = b.per_period(rows, ["violating_per_10k_uploads"])
    if not data:
        return None
    x = b.period_x(data)
    y_title = b.axis_title("violating_per_10k_uploads")
    y = alt.Y("value:Q", title=y_title)
    base = b.chart(data).encode(x=x, y=y)
    layers: list[Any] = [base.mark_point(filled=True, size=60, opacity=1, color=b.OKABE_ITO[0])]
    if len(data) > 1:
        layers.insert(0, base.mark_line(color=b.OKABE_ITO[0]))
    ci = [r for r in data if b.with_ci(r)]
    if ci:
        ci_y = alt.Y("ci_low:Q", title=y_title)
        layers.append(b.errorbars(ci, ci_y, "ci_high", x=x, color=alt.value(b.OKABE_ITO[0])))
    title = b.title(
        "Prevalence of violating uploads",
        f"labelled uploads, all policy revisions and segments; {b.CI_NOTE}",
    )
    return b.svg(alt.layer(*layers).properties(width=b.WIDTH, height=b.HEIGHT, title=title))


def actions_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Enforced items by action (stacked) and items sent to review, per period.

    Sent-to-review is a bar of its own beside the stack, not stacked on it: an item the
    automation routed to review and a reviewer then enforced counts in both.
    """
    names = {name: label(name) for name in (*ACTIONS, "sent_to_review")}
    data = b.per_period(rows, names)
    if not data:
        return None
    for r in data:
        r["series"] = names[r["metric"]]
        r["bar"] = "sent to review" if r["metric"] == "sent_to_review" else "enforced"
    chart = (
        b.chart(data)
        .mark_bar()
        .encode(
            x=b.period_x(data),
            xOffset=alt.XOffset("bar:N", sort=["enforced", "sent to review"]),
            y=alt.Y("value:Q", title="Items per period (count)", stack="zero"),
            color=alt.Color("series:N", sort=list(names.values()), title="Items"),
            order=alt.Order("order:Q"),
        )
        .transform_calculate(order=f"indexof({list(names.values())!r}, datum.series)")
    )
    title = b.title(
        "Actions per period",
        "left bar: enforced items by enforced action; right bar: items routed to review",
    )
    return b.svg(chart.properties(width=b.WIDTH, height=b.HEIGHT, title=title))


def views_before_action_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Shares of enforced items by views before action, for period "all" (else the latest)."""
    labels = dict(VIEW_BUCKETS)
    data = b.metric_rows(rows, labels)
    if not data:
        return None
    periods = {r["period"] for r in data}
    period = b.ALL if b.ALL in periods else max(periods)
    data = [{**r, "bucket": labels[r["metric"]]} for r in data if r["period"] == period]
    x_title = "Views before the first restricting action (views)"
    x = alt.X("bucket:N", sort=list(labels.values()), title=x_title).axis(labelAngle=0)
    y_title = "Enforced items with a view count (%)"
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format="%"))
    bars = b.chart(data).mark_bar(color=b.OKABE_ITO[0]).encode(x=x, y=y)
    layers: list[Any] = [bars]
    ci = [r for r in data if b.with_ci(r)]
    if ci:
        layers.append(b.errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", x=x))
    n = max((r["n"] for r in data if isinstance(r.get("n"), int)), default=None)
    scope = "all periods" if period == b.ALL else f"period {period}"
    sub = f"{scope}; n = {n:,} enforced items with a view count" if n is not None else scope
    title = b.title("Views before action", [sub, f"{b.CI_NOTE} (Wilson; rule of three at 0)"])
    return b.svg(alt.layer(*layers).properties(width=b.WIDTH, height=b.HEIGHT, title=title))


def time_to_action_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Median time to detect, median and 90th-percentile time to action per period."""
    labels = {name: label(name) for name in TIMES}
    data = [{**r, "series": labels[r["metric"]]} for r in b.per_period(rows, labels)]
    if not data:
        return None
    order = list(labels.values())
    x = b.period_x(data)
    enc: dict[str, Any] = {
        "x": x,
        "xOffset": alt.XOffset("series:N", sort=order),
        "color": alt.Color("series:N", sort=order, title="Measure"),
    }
    y_title = "Time (hours)"
    y = alt.Y("value:Q", title=y_title)
    layers: list[Any] = [
        b.chart(data).mark_point(filled=True, size=50, opacity=1).encode(y=y, **enc)
    ]
    ci = [r for r in data if b.with_ci(r)]
    if ci:
        layers.append(b.errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", **enc))
    title = b.title(
        "Time to detect and to action", f"all policy revisions and segments; {b.CI_NOTE}"
    )
    return b.svg(alt.layer(*layers).properties(width=b.WIDTH, height=b.HEIGHT, title=title))


def review_load_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Items sent to review per period and, when the rows have it, reviewer hours."""
    sent = b.per_period(rows, ["sent_to_review"])
    hours = b.per_period(rows, ["reviewer_hours"])
    if not sent and not hours:
        return None
    panels: list[Any] = []
    height = b.HEIGHT if not (sent and hours) else b.HEIGHT // 2 + 20
    any_ci = any(b.with_ci(r) for r in sent + hours)
    for data, y_title, colour in (
        (sent, b.axis_title("sent_to_review"), b.OKABE_ITO[0]),
        (hours, b.axis_title("reviewer_hours"), b.OKABE_ITO[2]),
    ):
        if not data:
            continue
        x = b.period_x(sent + hours)
        y = alt.Y("value:Q", title=y_title)
        layers: list[Any] = [b.chart(data).mark_bar(color=colour).encode(x, y)]
        ci = [r for r in data if b.with_ci(r)]
        if ci:
            layers.append(b.errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", x=x))
        panels.append(alt.layer(*layers).properties(width=b.WIDTH, height=height))
    scope = "all policy revisions and segments"
    title = b.title("Review load per period", f"{scope}; {b.CI_NOTE}" if any_ci else scope)
    return b.svg(alt.vconcat(*panels, title=title))
