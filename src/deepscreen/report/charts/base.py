"""What every report chart shares: size, font and palette, SVG rendering with page-unique ids
(``svg``), metric rows as plot data, error bars, period axes, unit and axis titles."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert

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


_EXTERNAL = re.compile(r"""(?:href|src)\s*=\s*["'](?!#)|url\(\s*["']?(?!#)""", re.IGNORECASE)
_ID_REF = re.compile(r"""(\bid="|url\(#|href="#)([^"')]+)""")
"""An element id, or a local reference to one (prefixed per chart: ids are page-global)."""

Chart = alt.Chart | alt.LayerChart | alt.FacetChart | alt.VConcatChart | alt.HConcatChart


# --------------------------------------------------------------------------- shared helpers


def svg(chart: Chart) -> str:
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


def chart(rows: Sequence[Mapping[str, Any]]) -> alt.Chart:
    """A chart over inline rows (plain dicts; the same as ``alt.Data(values=rows)``)."""
    return alt.Chart(alt.InlineData(values=list(rows)))


def title(text: str, subtitle: str | Sequence[str] = ()) -> alt.TitleParams:
    lines = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    return alt.TitleParams(text=text, subtitle=[line for line in lines if line])


def num(value: Any) -> float | None:
    """A plain float, or None for None / bool / non-numbers / nan / infinity."""
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out - out == 0 else None


def with_ci(row: Mapping[str, Any]) -> bool:
    return row.get("ci_low") is not None and row.get("ci_high") is not None


def errorbars(rows: list[dict[str, Any]], low: alt.X | alt.Y, high: str, **enc: Any) -> alt.Chart:
    """Error bars from precomputed interval ends: ``low`` (an X or Y channel) to field ``high``."""
    end = alt.X2(high) if isinstance(low, alt.X) else alt.Y2(high)
    channels = {"x": low, "x2": end} if isinstance(low, alt.X) else {"y": low, "y2": end}
    enc.setdefault("color", alt.value("#333"))
    mark = chart(rows).mark_errorbar(ticks={"size": 10}, thickness=1.5)
    bars: alt.Chart = mark.encode(**channels, **enc)
    return bars


def metric_rows(rows: Iterable[Mapping[str, Any]], metrics: Iterable[str]) -> list[dict[str, Any]]:
    """Rollup rows (every policy revision, every segment) of these metrics with a value."""
    wanted = set(metrics)
    out = []
    for r in rows:
        if r.get("metric") not in wanted or num(r.get("value")) is None:
            continue
        if r.get("policy_revision", ALL) != ALL or r.get("segment", ALL) != ALL:
            continue
        low, high = num(r.get("ci_low")), num(r.get("ci_high"))
        out.append(
            {
                "period": str(r.get("period", ALL)),
                "metric": r["metric"],
                "value": num(r.get("value")),
                "ci_low": low if high is not None else None,
                "ci_high": high if low is not None else None,
                "n": r.get("n"),
            }
        )
    return out


def per_period(rows: Iterable[Mapping[str, Any]], metrics: Iterable[str]) -> list[dict[str, Any]]:
    """Rollup rows per period; the period "all" only when the rows have no other period."""
    data = metric_rows(rows, metrics)
    periods = [r for r in data if r["period"] != ALL]
    return periods or data


def period_x(rows: list[dict[str, Any]]) -> alt.X:
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


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
