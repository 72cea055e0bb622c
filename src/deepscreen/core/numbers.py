"""One way to print a number, on every surface that prints one (CLI tables, reports):
``format_number`` (the magnitude), ``format_value`` (plus the metric's unit) and ``format_change``
(signed); the rounding rules are in docs/internals/core.md."""

from __future__ import annotations

import math

NOISE = 1e-9
"""Magnitudes below this are rounding noise of the arithmetic, printed as 0."""


def format_number(value: float | None, *, missing: str = "—") -> str:
    """``value`` for people: ``missing`` for None, 0 for noise, ``1,234`` for whole numbers and
    from 1,000 up, ``123.4`` from 100 up, else 4 significant digits (``0.01234``)."""
    if value is None:
        return missing
    if not math.isfinite(value):
        return str(value)
    if abs(value) < NOISE:
        return "0"
    nearest = round(value)
    if nearest != 0 and abs(value - nearest) <= NOISE * abs(value):
        value = float(nearest)  # 38024.99999999998 is 38,025: noise, like -6.39e-14 is 0
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"


def format_value(
    value: float | None, unit: str = "count", *, currency: str = "", missing: str = "—"
) -> str:
    """``value`` in its unit (``core.metrics.Unit``): a ``share`` in [0, 1] as a percentage
    (two decimals under 1 %), ``money`` with cents below 1,000 and followed by ``currency``,
    anything else as ``format_number`` (the unit is then in the metric's label)."""
    if value is None:
        return missing
    if unit == "share" and math.isfinite(value):
        percent = 0.0 if abs(value) < NOISE else value * 100
        if percent == 0 or abs(percent) == 100:
            return f"{percent:.0f}%"
        return f"{percent:.2f}%" if abs(percent) < 1 else f"{percent:.1f}%"
    if unit == "money" and math.isfinite(value):
        if abs(value) < NOISE:
            text = "0"
        elif abs(value) < 1000:
            text = f"{value:,.2f}"  # cents, as prices are written
        else:
            text = format_number(value, missing=missing)
        return f"{text} {currency}".strip()
    return format_number(value, missing=missing)


def format_change(
    value: float | None, unit: str = "count", *, currency: str = "", missing: str = "—"
) -> str:
    """A difference in ``unit``, signed: ``+1.2 pp`` for shares (percentage points), ``−3`` for
    counts, ``0`` for no change (noise included)."""
    if value is None:
        return missing
    text = format_value(abs(value), unit, currency=currency, missing=missing)
    if unit == "share":
        text = text.replace("%", " pp")
    if text in ("0", "0 pp") or text.startswith("0 "):
        return "0"
    return ("−" if value < 0 else "+") + text
