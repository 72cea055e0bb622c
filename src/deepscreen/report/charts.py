"""Charts for the HTML report and case study, as inline SVG: plotting given numbers, never
computing them. Each function takes plain data as the JSON outputs carry it and returns SVG
markup, or None when there is nothing to plot (rules: docs/internals/report.md)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert

from deepscreen.core.numbers import NOISE
from deepscreen.report.formatting import label, unit_of

WIDTH = 560
HEIGHT = 220
FONT = "DejaVu Sans, sans-serif"
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#F0E442",  # yellow (last: weak on white)
)
"""Okabe & Ito's colour-blind-safe qualitative palette."""

CI_NOTE = "bars: 95% intervals"
ALL = "all"

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
VERDICTS: tuple[tuple[str, str], ...] = (
    ("significant", "#D55E00"),
    ("no significant change", "#0072B2"),
    ("not estimable", "#999999"),
)
SIMULATION_METRICS: tuple[str, ...] = (
    "recall_any_action",
    "false_positive_rate_any_action",
    "time_to_action_median_hours",
    "sent_to_review",
    "violating_views_realised",
)
"""Headline metrics :func:`simulation_chart` plots unless told otherwise."""

BEFORE_AFTER_METRICS: tuple[str, ...] = (
    "sent_to_review_per_day",
    "violating_unactioned_per_10k",
    "recall_any_action",
    "false_positive_rate_any_action",
    "review_cost_per_day",
)
"""Key metrics :func:`before_after_chart` plots unless told otherwise (the case study's)."""
_EXTERNAL = re.compile(r"""(?:href|src)\s*=\s*["'](?!#)|url\(\s*["']?(?!#)""", re.IGNORECASE)
_ID_REF = re.compile(r"""(\bid="|url\(#|href="#)([^"')]+)""")
"""An element id, or a local reference to one (prefixed per chart: ids are page-global)."""

Chart = alt.Chart | alt.LayerChart | alt.FacetChart | alt.VConcatChart | alt.HConcatChart


# --------------------------------------------------------------------------- shared helpers


def _svg(chart: Chart) -> str:
    """The chart, configured in the report's style, as inline-ready SVG markup."""
    configured = (
        chart.configure(font=FONT, background="white", padding=8)
        .configure_range(category=list(OKABE_ITO))
        .configure_title(anchor="start", fontSize=14, subtitleFontSize=11, subtitleColor="#444")
        .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=240)
        .configure_legend(labelFontSize=11, titleFontSize=11, labelLimit=240)
        .configure_view(stroke="#ddd")
    )
    svg = vl_convert.vegalite_to_svg(configured.to_json())
    svg = svg[svg.index("<svg") :]  # drop any XML prolog / doctype
    if _EXTERNAL.search(re.sub(r">[^<]*<", "><", svg)):  # in markup, not in text
        raise ValueError("chart SVG has an external reference")
    prefix = "c" + hashlib.sha256(svg.encode()).hexdigest()[:10] + "-"
    return _ID_REF.sub(lambda m: m.group(1) + prefix + m.group(2), svg)


def _chart(rows: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """A chart over inline rows (plain dicts; the same as ``alt.Data(values=rows)``)."""
    return alt.Chart(alt.InlineData(values=list(rows)))


def _title(text: str, subtitle: str | Sequence[str] = ()) -> alt.TitleParams:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return alt.TitleParams(text=text, subtitle=[line for line in lines if line])


def _num(value: Any) -> float | None:
    """A plain float, or None for None / bool / non-numbers / nan / infinity."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out - out == 0 else None


def _with_ci(row: Mapping[str, Any]) -> bool:
    return row.get("ci_low") is not None and row.get("ci_high") is not None


def _errorbars(rows: list[dict[str, Any]], low: alt.X | alt.Y, high: str, **enc: Any) -> alt.Chart:
    """Error bars from precomputed interval ends: ``low`` (an X or Y channel) to field ``high``."""
    end = alt.X2(high) if isinstance(low, alt.X) else alt.Y2(high)
    channels = {"x": low, "x2": end} if isinstance(low, alt.X) else {"y": low, "y2": end}
    enc.setdefault("color", alt.value("#333"))
    mark = _chart(rows).mark_errorbar(ticks={"size": 10}, thickness=1.5)
    chart: alt.Chart = mark.encode(**channels, **enc)
    return chart


def _metric_rows(rows: Iterable[Mapping[str, Any]], metrics: Iterable[str]) -> list[dict[str, Any]]:
    """Rollup rows (every policy revision, every segment) of these metrics with a value."""
    wanted = set(metrics)
    out = []
    for r in rows:
        if r.get("metric") not in wanted or _num(r.get("value")) is None:
            continue
        if r.get("policy_revision", ALL) != ALL or r.get("segment", ALL) != ALL:
            continue
        low, high = _num(r.get("ci_low")), _num(r.get("ci_high"))
        out.append(
            {
                "period": str(r.get("period", ALL)),
                "metric": r["metric"],
                "value": _num(r.get("value")),
                "ci_low": low if high is not None else None,
                "ci_high": high if low is not None else None,
                "n": r.get("n"),
            }
        )
    return out


def _per_period(rows: Iterable[Mapping[str, Any]], metrics: Iterable[str]) -> list[dict[str, Any]]:
    """Rollup rows per period; the period "all" only when the rows have no other period."""
    data = _metric_rows(rows, metrics)
    periods = [r for r in data if r["period"] != ALL]
    return periods or data


def _period_x(rows: list[dict[str, Any]]) -> alt.X:
    periods = sorted({r["period"] for r in rows})
    if all(re.fullmatch(r"\d{4}-W\d{2}", p) for p in periods):
        title = "Upload week (ISO)"
    elif all(re.fullmatch(r"\d{4}-\d{2}", p) for p in periods):
        title = "Upload month"
    elif all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", p) for p in periods):
        title = "Upload day"
    elif periods == [ALL]:
        title = "Upload period: all"
    else:
        title = "Upload period"
    return alt.X("period:O", sort=periods, title=title, axis=alt.Axis(labelAngle=0))


def unit_text(metric: str, currency: str = "") -> str:
    """The unit a value of ``metric`` is read in, for an axis beside its label: ``%``,
    ``USD a day``, ``per 10,000``, ``hours``, ``views a day``, ``items a day``."""
    unit, text = unit_of(metric), ""
    if unit == "share":
        return "%"
    if unit == "money":
        text = currency or "money"
    elif unit == "per_10k":
        text = "per 10,000"
    elif unit in ("hours", "views", "incidents"):
        text = unit
    else:
        text = "items"
    if metric.endswith("_per_day") or metric == "reviewer_hours_per_day":
        text += " a day"
    elif metric.endswith("_per_month"):
        text += " a month"
    return text


def axis_title(metric: str, currency: str = "") -> str:
    """The metric's human label with its unit (``core.metrics``): the unit is added
    unless the label already says it (``Median time to action (hours)``)."""
    text, unit = label(metric), unit_of(metric)
    words = {"share": "%", "money": currency or "money", "per_10k": "per 10,000"}.get(unit, unit)
    if words.lower() in text.lower():
        return text
    return f"{text}, {words}" if text.endswith(")") else f"{text} ({words})"


def _wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


# --------------------------------------------------------------------------- impact metrics


def prevalence_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """violating_per_10k_uploads per period (rollup rows) with its 95% interval."""
    data = _per_period(rows, ["violating_per_10k_uploads"])
    if not data:
        return None
    x = _period_x(data)
    y_title = axis_title("violating_per_10k_uploads")
    y = alt.Y("value:Q", title=y_title)
    base = _chart(data).encode(x=x, y=y)
    layers: list[Any] = [base.mark_point(filled=True, size=60, opacity=1, color=OKABE_ITO[0])]
    if len(data) > 1:
        layers.insert(0, base.mark_line(color=OKABE_ITO[0]))
    ci = [r for r in data if _with_ci(r)]
    if ci:
        ci_y = alt.Y("ci_low:Q", title=y_title)
        layers.append(_errorbars(ci, ci_y, "ci_high", x=x, color=alt.value(OKABE_ITO[0])))
    title = _title(
        "Prevalence of violating uploads",
        f"labelled uploads, all policy revisions and segments; {CI_NOTE}",
    )
    return _svg(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title))


def actions_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Enforced items by action (stacked) and items sent to review, per period.

    Sent-to-review is a bar of its own beside the stack, not stacked on it: an item the
    automation routed to review and a reviewer then enforced counts in both.
    """
    names = {name: label(name) for name in (*ACTIONS, "sent_to_review")}
    data = _per_period(rows, names)
    if not data:
        return None
    for r in data:
        r["series"] = names[r["metric"]]
        r["bar"] = "sent to review" if r["metric"] == "sent_to_review" else "enforced"
    chart = (
        _chart(data)
        .mark_bar()
        .encode(
            x=_period_x(data),
            xOffset=alt.XOffset("bar:N", sort=["enforced", "sent to review"]),
            y=alt.Y("value:Q", title="Items per period (count)", stack="zero"),
            color=alt.Color("series:N", sort=list(names.values()), title="Items"),
            order=alt.Order("order:Q"),
        )
        .transform_calculate(order=f"indexof({list(names.values())!r}, datum.series)")
    )
    title = _title(
        "Actions per period",
        "left bar: enforced items by enforced action; right bar: items routed to review",
    )
    return _svg(chart.properties(width=WIDTH, height=HEIGHT, title=title))


def views_before_action_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Shares of enforced items by views before action, for period "all" (else the latest)."""
    labels = dict(VIEW_BUCKETS)
    data = _metric_rows(rows, labels)
    if not data:
        return None
    periods = {r["period"] for r in data}
    period = ALL if ALL in periods else max(periods)
    data = [{**r, "bucket": labels[r["metric"]]} for r in data if r["period"] == period]
    x_title = "Views before the first restricting action (views)"
    x = alt.X("bucket:N", sort=list(labels.values()), title=x_title).axis(labelAngle=0)
    y_title = "Enforced items with a view count (%)"
    y = alt.Y("value:Q", title=y_title, axis=alt.Axis(format="%"))
    bars = _chart(data).mark_bar(color=OKABE_ITO[0]).encode(x=x, y=y)
    layers: list[Any] = [bars]
    ci = [r for r in data if _with_ci(r)]
    if ci:
        layers.append(_errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", x=x))
    n = max((r["n"] for r in data if isinstance(r.get("n"), int)), default=None)
    scope = "all periods" if period == ALL else f"period {period}"
    sub = f"{scope}; n = {n:,} enforced items with a view count" if n is not None else scope
    title = _title("Views before action", [sub, f"{CI_NOTE} (Wilson)"])
    return _svg(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title))


def time_to_action_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Median time to detect, median and 90th-percentile time to action per period."""
    labels = {name: label(name) for name in TIMES}
    data = [{**r, "series": labels[r["metric"]]} for r in _per_period(rows, labels)]
    if not data:
        return None
    order = list(labels.values())
    x = _period_x(data)
    enc: dict[str, Any] = {
        "x": x,
        "xOffset": alt.XOffset("series:N", sort=order),
        "color": alt.Color("series:N", sort=order, title="Measure"),
    }
    y_title = "Time (hours)"
    y = alt.Y("value:Q", title=y_title)
    layers: list[Any] = [
        _chart(data).mark_point(filled=True, size=50, opacity=1).encode(y=y, **enc)
    ]
    ci = [r for r in data if _with_ci(r)]
    if ci:
        layers.append(_errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", **enc))
    title = _title("Time to detect and to action", f"all policy revisions and segments; {CI_NOTE}")
    return _svg(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title))


def review_load_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """Items sent to review per period and, when the rows have it, reviewer hours."""
    sent = _per_period(rows, ["sent_to_review"])
    hours = _per_period(rows, ["reviewer_hours"])
    if not sent and not hours:
        return None
    panels: list[Any] = []
    height = HEIGHT if not (sent and hours) else HEIGHT // 2 + 20
    any_ci = any(_with_ci(r) for r in sent + hours)
    for data, y_title, colour in (
        (sent, axis_title("sent_to_review"), OKABE_ITO[0]),
        (hours, axis_title("reviewer_hours"), OKABE_ITO[2]),
    ):
        if not data:
            continue
        x = _period_x(sent + hours)
        y = alt.Y("value:Q", title=y_title)
        layers: list[Any] = [_chart(data).mark_bar(color=colour).encode(x, y)]
        ci = [r for r in data if _with_ci(r)]
        if ci:
            layers.append(_errorbars(ci, alt.Y("ci_low:Q", title=y_title), "ci_high", x=x))
        panels.append(alt.layer(*layers).properties(width=WIDTH, height=height))
    scope = "all policy revisions and segments"
    title = _title("Review load per period", f"{scope}; {CI_NOTE}" if any_ci else scope)
    return _svg(alt.vconcat(*panels, title=title))


# --------------------------------------------------------------------------- policy comparison


def _relative_changes(comparison: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Rows with delta and CI as % of |baseline|, and how many rows had no baseline."""
    data: list[dict[str, Any]] = []
    no_baseline = 0
    for r in comparison.get("metrics") or []:
        delta, base = _num(r.get("delta")), _num(r.get("baseline"))
        if delta is None:
            continue
        if base is None or abs(base) < NOISE:
            no_baseline += 1
            continue
        factor = 100.0 / abs(base)
        low, high = _num(r.get("delta_ci_low")), _num(r.get("delta_ci_high"))
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
    points = _chart(data).mark_point(filled=True, size=60, opacity=1)
    layers: list[Any] = [
        _chart([{"zero": 0}]).mark_rule(color="#666").encode(x="zero:Q"),
        points.encode(x=x, y=y, color=colour),
    ]
    ci = [r for r in data if r["pct_low"] is not None]
    if ci:
        ci_x = alt.X("pct_low:Q", title=x_title, scale=scale)
        layers.append(_errorbars(ci, ci_x, "pct_high", y=y, color=colour))
    revisions = (
        f"candidate {c['candidate_revision']} vs baseline {c['baseline_revision']}"
        if c.get("candidate_revision") and c.get("baseline_revision")
        else "candidate vs baseline"
    )
    subtitle = [f"{revisions}; {CI_NOTE} (paired bootstrap), relative to |baseline|"]
    if no_baseline:
        metrics = "metric" if no_baseline == 1 else "metrics"
        subtitle.append(f"{no_baseline} {metrics} without a baseline not shown")
    title = _title("Policy comparison: change per metric", subtitle)
    chart = alt.layer(*layers).properties(
        width=WIDTH - 260, height=max(HEIGHT, 18 * len(data)), title=title
    )
    return _svg(chart)


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
        before, after = _num(r.get("baseline")), _num(r.get("candidate"))
        if before is None or after is None:
            continue
        low, high = _num(r.get("delta_ci_low")), _num(r.get("delta_ci_high"))
        share = unit_of(metric) == "share"
        style: dict[str, Any] = {"titleFontSize": 10, "titleFontWeight": "normal"}
        axis = alt.Axis(format="%", **style) if share else alt.Axis(**style)
        x = alt.X("when:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelFontSize=10))
        y = alt.Y("value:Q", title=unit_text(metric, currency), axis=axis)
        points = [{"when": "before", "value": before}, {"when": "after", "value": after}]
        layers: list[Any] = [
            _chart([{"level": before}])
            .mark_rule(color="#999", strokeDash=[3, 3])
            .encode(y=alt.Y("level:Q", title=unit_text(metric, currency), axis=axis)),
            _chart(points).mark_line(color="#999").encode(x=x, y=y),
        ]
        if low is not None and high is not None:
            bar = [{"when": "after", "low": before + low, "high": before + high}]
            layers.append(
                _errorbars(
                    bar,
                    alt.Y("low:Q", title=unit_text(metric, currency), axis=axis),
                    "high",
                    x=x,
                    color=alt.value(OKABE_ITO[1]),
                )
            )
        layers.append(
            _chart(points)
            .mark_point(filled=True, size=55, opacity=1)
            .encode(
                x=x,
                y=y,
                color=alt.Color(
                    "when:N",
                    sort=order,
                    legend=None,
                    scale=alt.Scale(domain=order, range=[OKABE_ITO[0], OKABE_ITO[3]]),
                ),
            )
        )
        heading = alt.TitleParams(text=_wrap(label(metric), 34), fontSize=10, fontWeight="normal")
        panels.append(alt.layer(*layers).properties(width=84, height=66, title=heading))
    if not panels:
        return None
    title = _title(
        "Before and after, with the 95% interval of the change",
        [
            f"before: {baseline}; after: {candidate}, on the same items. Orange bar: the 95% "
            "interval of the change",
            "(paired bootstrap over items), drawn from the before value (dashed line) — not an "
            "interval of either value; crossing the line: includes zero",
        ],
    )
    return _svg(alt.hconcat(*panels, title=title, spacing=14))


# --------------------------------------------------------------------------- detector evaluation


def _estimate_text(evaluation: Mapping[str, Any], key: str, label: str) -> str:
    est = (evaluation.get("metrics") or {}).get(key) or {}
    value, low, high = _num(est.get("value")), _num(est.get("low")), _num(est.get("high"))
    if value is None:
        return ""
    ci = f" (95% CI {low:.3f}–{high:.3f})" if low is not None and high is not None else ""
    return f"{label} {value:.3f}{ci}"


def _sample_text(evaluation: Mapping[str, Any]) -> str:
    n, pos, neg = (evaluation.get(k) for k in ("n", "positives", "negatives"))
    if not all(isinstance(v, int) for v in (n, pos, neg)):
        return ""
    return f"n = {n:,} items ({pos:,} AI-generated, {neg:,} real)"


def _curve(evaluation: Mapping[str, Any] | None, key: str, x: str, y: str) -> list[dict[str, Any]]:
    curve = (evaluation or {}).get(key) or {}
    pairs = zip(curve.get(x) or [], curve.get(y) or [], strict=False)
    return [
        {"i": i, "x": _num(a), "y": _num(b)}
        for i, (a, b) in enumerate(pairs)
        if _num(a) is not None and _num(b) is not None
    ]


def _diagonal() -> alt.Chart:
    line = [{"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}]
    chart: alt.Chart = _chart(line).mark_line(color="#999", strokeDash=[4, 4])
    return chart.encode(x="x:Q", y="y:Q")


def _curve_chart(data: list[dict[str, Any]], x_title: str, y_title: str) -> alt.Chart:
    unit = alt.Scale(domain=[0, 1])
    chart: alt.Chart = _chart(data).mark_line(color=OKABE_ITO[0], strokeWidth=2)
    return chart.encode(
        x=alt.X("x:Q", title=x_title, scale=unit, axis=alt.Axis(format="%")),
        y=alt.Y("y:Q", title=y_title, scale=unit, axis=alt.Axis(format="%")),
        order="i:Q",
    )


def roc_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """The ROC curve with the chance diagonal; AUC and its 95% CI in the subtitle."""
    data = _curve(evaluation, "roc", "fpr", "tpr")
    if not data or evaluation is None:
        return None
    curve = _curve_chart(
        data,
        "false-positive rate: real items flagged (%)",
        "true-positive rate: AI items flagged (%)",
    )
    subtitle = [_estimate_text(evaluation, "auc", "AUC"), _sample_text(evaluation)]
    title = _title("ROC curve of the detector", subtitle)
    chart = alt.layer(_diagonal(), curve).properties(width=HEIGHT + 60, height=HEIGHT + 60)
    return _svg(chart.properties(title=title))


def pr_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """The precision-recall curve; average precision and its 95% CI in the subtitle."""
    data = _curve(evaluation, "pr", "recall", "precision")
    if not data or evaluation is None:
        return None
    curve = _curve_chart(
        data, "recall: AI items flagged (%)", "precision: flagged items that are AI (%)"
    )
    subtitle = [
        _estimate_text(evaluation, "average_precision", "average precision"),
        _sample_text(evaluation),
    ]
    title = _title("Precision-recall curve of the detector", subtitle)
    return _svg(curve.properties(width=HEIGHT + 60, height=HEIGHT + 60, title=title))


def reliability_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """Reliability diagram: fraction AI-generated vs mean predicted score per bin, diagonal."""
    data = [
        {"x": _num(r.get("mean_predicted")), "y": _num(r.get("fraction_positive")), **r}
        for r in (evaluation or {}).get("reliability") or []
    ]
    data = [r for r in data if r["x"] is not None and r["y"] is not None]
    if not data or evaluation is None:
        return None
    unit = alt.Scale(domain=[0, 1])
    points = (
        _chart(data)
        .mark_point(filled=True, color=OKABE_ITO[0], opacity=0.8)
        .encode(
            x=alt.X("x:Q", title="mean predicted probability of AI (%)", scale=unit).axis(
                format="%"
            ),
            y=alt.Y("y:Q", title="fraction AI-generated (%)", scale=unit).axis(format="%"),
            size=alt.Size("count:Q", title="items in bin"),
        )
    )
    line = _chart(data).mark_line(color=OKABE_ITO[0]).encode(x="x:Q", y="y:Q")
    subtitle = [
        _estimate_text(evaluation, "ece", "ECE"),
        "dashed: perfect calibration; " + _sample_text(evaluation),
    ]
    title = _title("Calibration of the detector", subtitle)
    chart = alt.layer(_diagonal(), line, points).properties(width=HEIGHT + 60, height=HEIGHT + 60)
    return _svg(chart.properties(title=title))


def per_source_recall_chart(evaluation: Mapping[str, Any] | None) -> str | None:
    """Recall at the evaluation threshold per source of AI items, with 95% Wilson intervals."""
    data = []
    for r in (evaluation or {}).get("per_source") or []:
        recall = r.get("recall") or {}
        value = _num(recall.get("value"))
        if value is None:
            continue
        low, high = _num(recall.get("low")), _num(recall.get("high"))
        both = low is not None and high is not None
        data.append(
            {
                "source": f"{r.get('source')} (n = {r.get('positives')})",
                "value": value,
                "ci_low": low if both else None,
                "ci_high": high if both else None,
            }
        )
    if not data or evaluation is None:
        return None
    y = alt.Y("source:N", sort=None, title=None)
    x_title = "recall: AI items flagged (%)"
    x = alt.X("value:Q", title=x_title, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"))
    layers: list[Any] = [_chart(data).mark_bar(color=OKABE_ITO[0]).encode(x=x, y=y)]
    ci = [r for r in data if _with_ci(r)]
    if ci:
        layers.append(_errorbars(ci, alt.X("ci_low:Q", title=x_title), "ci_high", y=y))
    threshold = _num(evaluation.get("threshold"))
    at = f"at threshold {threshold:g}; " if threshold is not None else ""
    title = _title(
        "Recall per source of AI-generated items", f"{at}n = AI items; {CI_NOTE} (Wilson)"
    )
    chart = alt.layer(*layers).properties(width=WIDTH - 200, height=max(120, 26 * len(data)))
    return _svg(chart.properties(title=title))


# --------------------------------------------------------------------------- optimization


def frontier_chart(
    frontier_rows: Sequence[Mapping[str, Any]] | None,
    currency: str,
    chosen: int | None = None,
) -> str | None:
    """Expected cost vs false-positive rate of the frontier's threshold combinations.

    Colour: review load (items/day). The chosen combination, ``frontier_rows[chosen]`` or the
    row with ``"chosen": True``, is ringed. Rows without a false-positive rate are left out.
    """
    data = []
    for i, r in enumerate(frontier_rows or []):
        fpr, cost = _num(r.get("false_positive_rate")), _num(r.get("expected_cost"))
        if fpr is None or cost is None:
            continue
        data.append(
            {
                "fpr": fpr,
                "cost": cost,
                "review": _num(r.get("review_per_day")),
                "constraints": "met" if r.get("meets_constraints", True) else "not met",
                "chosen": i == chosen or r.get("chosen") is True,
            }
        )
    if not data:
        return None
    x = alt.X("fpr:Q", title="False-positive rate: real items actioned (%)").axis(format="%")
    y = alt.Y("cost:Q", title=f"Expected cost ({currency})" if currency else "Expected cost")
    points = (
        _chart(data)
        .mark_point(filled=True, size=70, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "review:Q", title="Review load (items a day)", scale=alt.Scale(scheme="viridis")
            ),
            shape=alt.Shape("constraints:N", title="Constraints", sort=["met", "not met"]),
        )
    )
    layers: list[Any] = [points]
    picked = [r for r in data if r["chosen"]]
    if picked:
        ring = _chart(picked).mark_point(size=320, strokeWidth=2.5, color="#D55E00", filled=False)
        label = _chart(picked).mark_text(
            dx=14, dy=-12, align="left", color="#D55E00", fontWeight="bold", text="chosen"
        )
        layers += [ring.encode(x=x, y=y), label.encode(x=x, y=y)]
    title = _title(
        "Threshold trade-off: cost, false positives and review load",
        "each point a threshold combination on the frontier; ringed: chosen",
    )
    return _svg(alt.layer(*layers).properties(width=WIDTH, height=HEIGHT, title=title))


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
                "value": _num(r.get("value")),
                "ci_low": _num(r.get("ci_low")),
                "ci_high": _num(r.get("ci_high")),
            }
            for r in sim.get("rows") or []
            if r.get("metric") == metric and _num(r.get("value")) is not None
        ]
        if not data:
            continue
        order = combinations or sorted({str(r["combination"]) for r in data})
        share = unit_of(metric) == "share"
        axis = alt.Axis(format="%") if share else alt.Axis()
        x_title = axis_title(metric)
        x = alt.X("value:Q", title=x_title, axis=axis)
        y = alt.Y("combination:N", sort=order, title=None)
        points = _chart(data).mark_point(filled=True, size=60, opacity=1)
        colour = alt.Color("combination:N", sort=order, legend=None)
        layers: list[Any] = [points.encode(x=x, y=y, color=colour)]
        ci = [r for r in data if _with_ci(r)]
        if ci:
            ci_x = alt.X("ci_low:Q", title=x_title, axis=axis)
            layers.append(_errorbars(ci, ci_x, "ci_high", y=y, color=colour))
        height = max(40, 24 * len(order))
        panels.append(alt.layer(*layers).properties(width=WIDTH - 200, height=height))
    if not panels:
        return None
    note = str(sim.get("simulated_note") or "")
    title = _title(
        "Policy combinations, simulated: headline metrics",
        [note, f"mean over replications; {CI_NOTE}"],
    )
    chart = alt.vconcat(*panels, title=title).resolve_scale(color="shared")
    return _svg(chart)
