"""One way to print a number, on every surface that prints one (CLI tables, reports).

Floating-point noise from sums and differences (``-6.39e-14`` where the answer is 0) prints as
0; whole numbers get thousands separators; large values one decimal; the rest four significant
digits. Units and percentages are the caller's: this formats the magnitude only.
"""

from __future__ import annotations

import math

NOISE = 1e-9
"""Magnitudes below this are rounding noise of the arithmetic, printed as 0."""


def format_number(value: float | None, *, missing: str = "—") -> str:
    """``value`` for people: ``missing`` for None, 0 for noise, ``1,234`` for whole numbers,
    ``1,234.5`` from 100 up, else 4 significant digits (``0.01234``)."""
    if value is None:
        return missing
    if not math.isfinite(value):
        return str(value)
    if abs(value) < NOISE:
        return "0"
    if float(value).is_integer():
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:,.1f}"
    return f"{value:.4g}"
