"""Render an impact summary (``ImpactSummary.to_dict``) to Markdown and rows: every row a
metric-table row under its ``core.metrics`` label, printed by ``core.numbers.format_value``, so
the terminal, the Markdown summary and the report show the same digits."""

from __future__ import annotations

from typing import Any

from deepscreen.core.numbers import format_value


def fmt_row(r: dict[str, Any], currency: str = "") -> str:
    """'value [low, high] (n = …)' of a summary metric, in its unit."""
    unit = r["unit"]
    if r["value"] is None:
        return f"n/a (n = {r['n']:,})"
    if unit == "count":
        return format_value(r["value"])
    text = format_value(r["value"], unit, currency=currency)
    if r["ci_low"] is not None and r["ci_high"] is not None:
        low = format_value(r["ci_low"], unit, currency=currency)
        high = format_value(r["ci_high"], unit, currency=currency)
        text += f" (95% CI {low} – {high})"
    return f"{text}; n = {r['n']:,}"


def fmt_money(m: dict[str, Any] | None) -> str:
    if m is None:
        return "not computed: set costs.review_cost_per_item and costs.monthly_volume"
    c = m["currency"]
    value, low, high = (
        format_value(m[k], "money", currency=c) for k in ("value", "ci_low", "ci_high")
    )
    return f"{value} a month (95% CI {low} – {high})"


def summary_lines(s: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs shared by the Markdown report and the terminal view."""
    actions = ", ".join(f"{a} {n:,}" for a, n in s["actions"].items()) or "none"
    lines = [("Automated decisions by action", actions)]
    lines += [(row["label"], fmt_row(row)) for row in s["metrics"].values()]
    lines.append(("False-positive review cost", fmt_money(s["fp_review_cost_per_month"])))
    lines.append(("Cost inputs", _cost_inputs(s)))
    return lines


def _cost_inputs(s: dict[str, Any]) -> str:
    costs = s["costs"]
    per_item, volume = costs["review_cost_per_item"], costs["monthly_volume"]
    per_item_text = "not set" if per_item is None else f"{per_item:g} {costs['currency']}"
    volume_text = "not set" if volume is None else f"{volume:,} uploads a month"
    fpr = s["metrics"]["false_positive_rate_flagged"]
    rate = format_value(fpr["value"], "share")
    return (
        f"false-positive review cost = false_positive_rate_flagged {rate} × review cost per item "
        f"{per_item_text} × monthly volume {volume_text} (from {costs['source']})"
    )


def summary_markdown(s: dict[str, Any], *, title: str, notes: list[str]) -> str:
    """The summary table, the inputs it was computed from (``s["scenario"]`` when present),
    and the definitions of every metric."""
    rows = "\n".join(f"| {k} | {v} |" for k, v in summary_lines(s))
    scenario = s.get("scenario") or {}
    inputs = "\n".join(f"- {k}: {v}" for k, v in scenario.items())
    definitions = "\n".join(f"- **{k}**: {v}" for k, v in s["definitions"].items())
    note_text = "\n".join(f"> {n}" for n in notes)
    sample = f"## Sample\n\n{inputs}\n\n" if inputs else ""
    return (
        f"# {title}\n\n{note_text}\n\n| metric | value |\n|---|---|\n{rows}\n\n{sample}"
        f"## Definitions\n\n{definitions}\n\nEvery rate is the whole-store row of the impact "
        "metric table (`deepscreen impact --period all`), with its 95% Wilson interval.\n"
    )
