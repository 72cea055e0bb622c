"""How the reports print numbers: one place, so Markdown, HTML and PDF agree digit for digit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def is_share(metric: str) -> bool:
    return any(metric.startswith(p) for p in PERCENT_METRICS) and not metric.endswith("_mean")


def number(value: float | None, *, share: bool = False) -> str:
    """A value for a table cell; ``—`` when there is none."""
    if value is None:
        return "—"
    if share:
        return f"{value * 100:.2f}%" if abs(value) < 0.01 and value != 0 else f"{value * 100:.1f}%"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def signed(value: float | None, *, share: bool = False) -> str:
    if value is None:
        return "—"
    text = number(abs(value), share=share)
    if share:
        text = text.replace("%", " pp")
    return ("−" if value < 0 else "+") + text if value != 0 else "0"


def interval(low: float | None, high: float | None, *, share: bool = False) -> str:
    if low is None or high is None:
        return ""
    return f"[{number(low, share=share)}, {number(high, share=share)}]"


def delta_interval(low: float | None, high: float | None, *, share: bool = False) -> str:
    if low is None or high is None:
        return ""
    return f"[{signed(low, share=share)}, {signed(high, share=share)}]"


def metric_cells(row: Mapping[str, Any]) -> tuple[str, str, str]:
    """(value, 95% interval, n) of a metric-table row."""
    share = is_share(row["metric"])
    return (
        number(row["value"], share=share),
        interval(row["ci_low"], row["ci_high"], share=share),
        f"{row['n']:,}",
    )


def comparison_cells(row: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """(baseline, candidate, delta with 95% interval, verdict) of a comparison row."""
    share = is_share(row["metric"])
    delta = signed(row["delta"], share=share)
    bounds = delta_interval(row.get("delta_ci_low"), row.get("delta_ci_high"), share=share)
    return (
        number(row["baseline"], share=share),
        number(row["candidate"], share=share),
        f"{delta} {bounds}".strip(),
        str(row.get("verdict") or ""),
    )


def estimate(value: Mapping[str, Any] | None, *, share: bool = True) -> str:
    """An ``{value, low, high}`` estimate (detector evaluation) as 'v [low, high]'."""
    if not value or value.get("value") is None:
        return "—"
    bounds = interval(value.get("low"), value.get("high"), share=share)
    return f"{number(value['value'], share=share)} {bounds}".strip()
