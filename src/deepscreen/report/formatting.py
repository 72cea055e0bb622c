"""How the reports name and print numbers, in one place so Markdown, HTML and PDF agree digit for
digit: every metric under its human label (``core.metrics``) in its unit, digits from
``core.numbers.format_value``; how intervals are written: docs/internals/report.md."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from deepscreen.core import metrics as definitions
from deepscreen.core.numbers import format_change, format_value

PERCENT_METRICS = (
    "precision",
    "recall",
    "false_positive_rate",
    "proactive_rate",
    "automated_share",
    "appeal_rate",
    "overturn_rate",
    "views_before_action_",
    "queue_precision",
    "review_within_sla",
    "action_share.",
)
"""Metric names (or prefixes) whose values are shares in [0, 1], printed as percentages."""

_NAME = re.compile(r"\b[a-z][a-z0-9]*(?:[_.][a-z0-9]+)+\b")
"""A metric id in running text (``review_cost``, ``action_share.review``)."""


def is_share(metric: str) -> bool:
    """Whether ``metric`` is a proportion: its unit in ``core.metrics``, else (detector
    evaluation names) by the prefixes above."""
    known = definitions.lookup(metric)
    if known is not None:
        return known.is_share
    return any(metric.startswith(p) for p in PERCENT_METRICS) and not metric.endswith("_mean")


def unit_of(metric: str) -> str:
    """The metric's unit (``core.metrics.Unit``); ``share`` or ``count`` for a name the
    definitions do not know."""
    known = definitions.lookup(metric)
    if known is not None:
        return known.unit
    return "share" if is_share(metric) else "count"


def label(metric: str) -> str:
    """The human label of ``metric``: ``core.metrics.label``; for a name it does not know,
    the detector-evaluation label, else the name in words (never the raw id)."""
    known = definitions.lookup(metric)
    if known is not None:
        return known.label
    words = metric.replace(".", ": ").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def short_label(metric: str) -> str:
    """The label without its parenthesised gloss, for running text: ``review cost``."""
    text = label(metric).split(" (")[0]
    return text[:1].lower() + text[1:] if not text[:2].isupper() else text


def in_words(text: str) -> str:
    """``text`` (a formula) with every metric id replaced by its short label."""
    return _NAME.sub(
        lambda m: short_label(m.group()) if definitions.lookup(m.group()) else m.group(), text
    )


def scaling(row: Mapping[str, Any]) -> str:
    """How a per-day/per-month row was scaled from its comparison total, in words
    (``review cost ÷ 2,000 items × 3,000,000 uploads/month``): the row's ``formula``, else its
    definition without the source note; empty when the row says neither."""
    text = row.get("formula") or re.sub(
        r"\s*\(from comparison row [^)]*\)\s*$", "", str(row.get("definition") or "")
    )
    return in_words(str(text)).strip()


def number(value: float | None, *, share: bool = False) -> str:
    """A value for a table cell; ``—`` when there is none (``core.numbers.format_value``)."""
    return format_value(value, "share" if share else "count")


def value(value: float | None, unit: str = "count", currency: str = "") -> str:
    """A value in its unit: ``12.4%``, ``25.35 USD``, ``1,234``; ``—`` when there is none."""
    return format_value(value, unit, currency=currency)


def signed(
    value: float | None, unit: str = "count", *, share: bool = False, currency: str = ""
) -> str:
    """A change: ``+1.3``, ``−0.84 USD``, ``+7.5 pp`` (a change of a share, in percentage
    points); ``0`` for no change or noise (``core.numbers.format_change``)."""
    return format_change(value, "share" if share else unit, currency=currency)


def _bare(text: str) -> str:
    """A bound without its unit (it follows a value in that unit)."""
    return text.split(" ")[0]


def interval(
    low: float | None, high: float | None, *, share: bool = False, unit: str = "count"
) -> str:
    """``[low, high]`` of a level; a share's bounds keep their ``%``."""
    if low is None or high is None:
        return ""
    unit = "share" if share else unit
    return f"[{value(low, unit)}, {value(high, unit)}]"


def delta_interval(
    low: float | None, high: float | None, *, share: bool = False, unit: str = "count"
) -> str:
    """``[low, high]`` of a change, in the unit of the change printed before it."""
    if low is None or high is None:
        return ""
    return f"[{_bare(signed(low, unit, share=share))}, {_bare(signed(high, unit, share=share))}]"


def metric_cells(row: Mapping[str, Any], currency: str = "") -> tuple[str, str, str]:
    """(value, 95% interval, n) of a metric-table row, in the metric's unit."""
    unit = unit_of(row["metric"])
    n = row.get("n")
    return (
        value(row["value"], unit, currency),
        interval(row.get("ci_low"), row.get("ci_high"), unit=unit),
        "" if n is None else f"{n:,}",
    )


def change(row: Mapping[str, Any], unit: str, currency: str = "") -> str:
    """``delta [low, high]`` of a comparison-style row (``delta_ci_*`` or ``delta_*`` keys)."""
    low = row.get("delta_ci_low", row.get("delta_low"))
    high = row.get("delta_ci_high", row.get("delta_high"))
    delta = signed(row.get("delta"), unit, currency=currency)
    return f"{delta} {delta_interval(low, high, unit=unit)}".strip()


def comparison_cells(row: Mapping[str, Any], currency: str = "") -> tuple[str, str, str, str]:
    """(baseline, candidate, delta with 95% interval, verdict) of a comparison row, in the
    metric's unit."""
    unit = unit_of(row["metric"])
    return (
        value(row["baseline"], unit, currency),
        value(row["candidate"], unit, currency),
        change(row, unit, currency),
        str(row.get("verdict") or ""),
    )


def estimate(estimate: Mapping[str, Any] | None, *, share: bool = True) -> str:
    """An ``{value, low, high}`` estimate (detector evaluation) as 'v [low, high]'."""
    if not estimate or estimate.get("value") is None:
        return "—"
    bounds = interval(estimate.get("low"), estimate.get("high"), share=share)
    return f"{number(estimate['value'], share=share)} {bounds}".strip()
