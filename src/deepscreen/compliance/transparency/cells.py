"""Cell formats of the transparency CSVs (counts, rates, contextual information) and the
indicator rows of sheets 7 and 8."""

from __future__ import annotations

import math

from deepscreen.compliance.transparency.inputs import TransparencyInputs
from deepscreen.impact.dsa_estimates import Estimate


def count_cell(count: int | None) -> str:
    """A counting indicator: an integer; None (never applies) is blank."""
    return "" if count is None else str(int(count))


def float_cell(value: float | None) -> str:
    """A rate or a median: a float with at most 6 decimals, always with a decimal point
    (``0.5``, ``1.0``); None (not estimable or never applies) is blank."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _number(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


def estimate_context(estimate: Estimate, prefix: str = "") -> str:
    """``prefix`` + interval, n and definition, for a Contextual Information cell."""
    parts = [prefix] if prefix else []
    if estimate.value is None:
        parts.append(f"Not estimable (n = {estimate.n}).")
    elif estimate.ci_low is not None and estimate.ci_high is not None:
        parts.append(
            f"95% interval {_number(estimate.ci_low)}–{_number(estimate.ci_high)}, "
            f"n = {estimate.n}."
        )
    else:
        parts.append(f"No interval; n = {estimate.n}.")
    if estimate.definition:
        parts.append(estimate.definition)
    return " ".join(parts)


def indicator_row(
    inputs: TransparencyInputs,
    applicability: str,
    section: str,
    indicator: str,
    scope: str,
    value: str,
    context: str = "",
) -> tuple[str, ...]:
    return (
        applicability,
        inputs.service,
        inputs.period.label,
        section,
        indicator,
        scope,
        value,
        context,
    )
