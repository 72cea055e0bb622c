"""Charts of a policy comparison: relative change per metric with its verdict, and the case
study's before/after panels."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt

from deepscreen.core.numbers import NOISE
from deepscreen.report.charts import base as b
from deepscreen.report.formatting import label, unit_of

VERDICTS: tuple[tuple[str, str], ...] = (
    ("significant", "#D55E00"),
    ("no significant change", "#0072B2"),
    ("not estimable", "#999999"),
)


BEFORE_AFTER_METRICS: tuple[str, ...] = (
    "sent_to_review_per_day",
    "violating_unactioned_per_10k",
    "recall_any_action",
    "false_positive_rate_any_action",
    "review_cost_per_day",
)
"""Key metrics :func:`before_after_chart` plots unless told otherwise (the case study's)."""


# --------------------------------------------------------------------------- policy comparison


def _relative_changes(comparison: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Rows with delta and CI as % of |baseline|, and how many rows had no baseline."""
    data: list[dict[str, Any]] = []
    no_baseline = 0
    for r in comparison.get("metrics") or []:
        delta, base = b.num(r.get("delta")), b.num(r.get("baseline"))
        if delta is None:
            continue
        if base is None or abs(base) < NOISE:
            no_baseline += 1
            continue
        factor = 100.0 / abs(base)
        low, high = b.num(r.get("delta_ci_low")), b.num(r.get("delta_ci_high"))
        if low is None or high is None:
            low = high = None
        data.append(
            {
                "metric": str(r.get("metric")),
                "label": label(str(r.get("metric"))),
                "pct": delta * factor,
                "pct_low": None if low is None else low * factor,
                "pct_high": None if high is None else high * factor,
                "verdict": str(r.get("verdict") or "not estimable"),
            }
        )
    return data, no_baseline


def comparison_chart(comparison: Mapping[str, Any] | None) -> str | None:
    """Forest plot: each metric's change (candidate - baseline) relative to |baseline|, 95% CI.

    Metrics without a delta are left out; so are metrics whose baseline is 0 or missing (a
    relative change is undefined), which the subtitle counts. When the changes span more than
    ±500% the axis is symmetric-log so the small ones stay readable.
    """
    c = comparison or {}
    data, no_baseline = _relative_changes(c)
    if not data:
        return None
    ends = [abs(r[k]) for r in data for k in ("pct", "pct_low", "pct_high") if r[k] is not None]
    symlog = max(ends) > 500
    x_title = "Change relative to baseline (% of baseline" + (
        ", symmetric log scale)" if symlog else ")"
    )
    scale = alt.Scale(type="symlog") if symlog else alt.Scale()
    y = alt.Y("label:N", sort=[r["label"] for r in data], title=None, axis=alt.Axis(labelLimit=480))
    x = alt.X("pct:Q", title=x_title, scale=scale)
    colour = alt.Color(
        "verdict:N",
        title="Verdict",
        scale=alt.Scale(domain=[v for v, _ in VERDICTS], range=[hue for _, hue in VERDICTS]),
    )
    points = b.chart(data).mark_point(filled=True, size=60, opacity=1)
    layers: list[Any] = [
        b.chart([{"zero": 0}]).mark_rule(color="#666").encode(x="zero:Q"),
        points.encode(x=x, y=y, color=colour),
    ]
    ci = [r for r in data if r["pct_low"] is not None]
    if ci:
        ci_x = alt.X("pct_low:Q", title=x_title, scale=scale)
        layers.append(b.errorbars(ci, ci_x, "pct_high", y=y, color=colour))
    revisions = (
        f"candidate {c['candidate_revision']} vs baseline {c['baseline_revision']}"
        if c.get("candidate_revision") and c.get("baseline_revision")
        else "candidate vs baseline"
    )
    subtitle = [f"{revisions}; {b.CI_NOTE} (paired bootstrap), relative to |baseline|"]
    if no_baseline:
        metrics = "metric" if no_baseline == 1 else "metrics"
        subtitle.append(f"{no_baseline} {metrics} without a baseline not shown")
    title = b.title("Policy comparison: change per metric", subtitle)
    chart = alt.layer(*layers).properties(
        width=b.WIDTH - 260, height=max(b.HEIGHT, 18 * len(data)), title=title
    )
    return b.svg(chart)


def before_after_chart(
    rows: Iterable[Mapping[str, Any]],
    metrics: Sequence[str] = BEFORE_AFTER_METRICS,
    *,
    currency: str = "",
    baseline: str = "baseline",
    candidate: str = "candidate",
) -> str | None:
    """Small multiples, one panel per metric in its own unit: the value before (baseline) and
    after (candidate), and the 95% interval of the change drawn from the before value.

    ``rows`` are comparison rows (``baseline``, ``candidate``, ``delta``, ``delta_ci_low``,
    ``delta_ci_high``), per-day rows included. The interval is the paired bootstrap's interval
    of the change, not an interval of either level: it is drawn as ``before + [low, high]``
    beside the after value, against a dashed line at the before level, so a bar that crosses
    the line is a change whose interval covers zero. Metrics without both values are left out.
    """
    by_metric = {str(r.get("metric")): r for r in rows}
    panels: list[Any] = []
    order = ["before", "after"]
    for metric in metrics:
        r = by_metric.get(metric) or {}
        before, after = b.num(r.get("baseline")), b.num(r.get("candidate"))
        if before is None or after is None:
            continue
        low, high = b.num(r.get("delta_ci_low")), b.num(r.get("delta_ci_high"))
        share = unit_of(metric) == "share"
        style: dict[str, Any] = {"titleFontSize": 10, "titleFontWeight": "normal"}
        axis = alt.Axis(format="%", **style) if share else alt.Axis(**style)
        x = alt.X("when:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=10))
        y = alt.Y("value:Q", title=b.unit_text(metric, currency), axis=axis)
        points = [{"when": "before", "value": before}, {"when": "after", "value": after}]
        layers: list[Any] = [
            b.chart([{"level": before}])
            .mark_rule(color="#999", strokeDash=[3, 3])
            .encode(y=alt.Y("level:Q", title=b.unit_text(metric, currency), axis=axis)),
            b.chart(points).mark_line(color="#999").encode(x=x, y=y),
        ]
        if low is not None and high is not None:
            bar = [{"when": "after", "low": before + low, "high": before + high}]
            layers.append(
                b.errorbars(
                    bar,
                    alt.Y("low:Q", title=b.unit_text(metric, currency), axis=axis),
                    "high",
                    x=x,
                    color=alt.value(b.OKABE_ITO[1]),
                )
            )
        layers.append(
            b.chart(points)
            .mark_point(filled=True, size=55, opacity=1)
            .encode(
                x=x,
                y=y,
                color=alt.Color(
                    "when:N",
                    sort=order,
                    legend=None,
                    scale=alt.Scale(domain=order, range=[b.OKABE_ITO[0], b.OKABE_ITO[3]]),
                ),
            )
        )
        heading = alt.TitleParams(text=b.wrap(label(metric), 34), fontSize=10, fontWeight="normal")
        panels.append(alt.layer(*layers).properties(width=84, height=66, title=heading))
    if not panels:
        return None
    title = b.title(
        "Before and after, with the 95% interval of the change",
        [
            f"before: {baseline}; after: {candidate}, on the same items. Orange bar: the 95% "
            "interval of the change",
            "(paired bootstrap over items), drawn from the before value (dashed line) — not an "
            "interval of either value; crossing the line: includes zero",
        ],
    )
    return b.svg(alt.hconcat(*panels, title=title, spacing=14))
