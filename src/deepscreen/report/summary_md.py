"""Render an impact summary (as produced by ``ImpactSummary.to_dict``) to Markdown."""

from __future__ import annotations

from typing import Any


def fmt_rate(r: dict[str, Any], *, percent: bool = True, digits: int = 1) -> str:
    if r["value"] is None:
        return f"n/a (n = {r['n']})"
    scale, unit = (100.0, " %") if percent else (1.0, "")
    return (
        f"{r['value'] * scale:.{digits}f}{unit} (95% CI {r['ci_low'] * scale:.{digits}f}–"
        f"{r['ci_high'] * scale:.{digits}f}{unit}; {r['k']}/{r['n']})"
    )


def fmt_money(m: dict[str, Any] | None) -> str:
    if m is None:
        return "not computed: set costs.review_cost_per_item and costs.monthly_volume"
    c = m["currency"]
    return f"{m['value']:,.0f} {c}/month (95% CI {m['ci_low']:,.0f}–{m['ci_high']:,.0f} {c})"


def summary_lines(s: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) pairs shared by the Markdown report and the terminal view."""
    per10k = s["violating_per_10k"]
    prevalence = (
        "n/a"
        if per10k["value"] is None
        else f"{per10k['value']:,.0f} per 10,000 (95% CI {per10k['ci_low']:,.0f}–"
        f"{per10k['ci_high']:,.0f}; {per10k['k']}/{per10k['n']} labelled items)"
    )
    actions = ", ".join(f"{a} {n:,}" for a, n in s["actions"].items()) or "none"
    return [
        ("uploads", f"{s['uploads']:,}"),
        ("AI-generated per 10,000 uploads", prevalence),
        ("decisions by action", actions),
        ("precision (flagged = any action but allow)", fmt_rate(s["precision"])),
        ("recall", fmt_rate(s["recall"])),
        ("false-positive rate", fmt_rate(s["false_positive_rate"], digits=2)),
        ("false-positive review cost", fmt_money(s["fp_review_cost_per_month"])),
        ("cost inputs", _cost_inputs(s["costs"])),
    ]


def _cost_inputs(costs: dict[str, Any]) -> str:
    per_item, volume = costs["review_cost_per_item"], costs["monthly_volume"]
    per_item_text = "not set" if per_item is None else f"{per_item:g} {costs['currency']}"
    volume_text = "not set" if volume is None else f"{volume:,}"
    return (
        f"review cost per item {per_item_text}, monthly volume {volume_text} "
        f"(from {costs['source']})"
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
        f"## Definitions\n\n{definitions}\n\nIntervals are Wilson score intervals at 95%.\n"
    )
