"""The one-page case study of a policy change, from the report document: paragraphs that word
rows of the comparison and its daily rescaling with the significance rule of
``report.statements``, and one before/after chart; nothing computed (docs/internals/report.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.report.blocks import Table, comparison_table
from deepscreen.report.charts import BEFORE_AFTER_METRICS
from deepscreen.report.formatting import scaling
from deepscreen.report.statements import (
    Phrase,
    Unit,
    change_body,
    fmt,
    significant,
    window_rows,
)

TABLE_METRICS = (
    "sent_to_review_per_day",
    "reviewer_hours_per_day",
    "violating_unactioned_per_10k",
    "recall_any_action",
    "false_positive_rate_any_action",
    "violating_exposure_per_day",
    "review_cost_per_day",
    "wrongful_action_cost_per_day",
    "review_cost_per_month",
    "wrongful_action_cost_per_month",
)
CHART_METRICS = BEFORE_AFTER_METRICS
"""The rows of the before/after chart: all of them in the table, with the same numbers."""
MAX_STATEMENTS = 2
"""Simulated statements quoted at most (the page is one A4 page)."""


@dataclass(frozen=True)
class CaseStudy:
    title: str
    synthetic: bool
    paragraphs: tuple[tuple[str, str], ...]
    table: Table
    statements: tuple[str, ...]
    method: str
    chart_rows: tuple[Mapping[str, Any], ...] = ()
    """The comparison rows the before/after chart draws (``report.charts.before_after_chart``);
    each is also a row of ``table``."""
    currency: str = ""
    baseline: str = "baseline"
    candidate: str = "candidate"


def case_study(doc: Mapping[str, Any]) -> CaseStudy:
    """Raises ``InvalidInput`` when the document has no policy comparison."""
    cmp = doc.get("comparison")
    if not cmp:
        raise InvalidInput(
            "a case study needs a policy change: give the candidate policy (--policy DIR)"
        )
    rows = {r["metric"]: r for r in [*cmp["metrics"], *doc.get("daily", [])]}
    currency = doc["costs"]["model"]["currency"]
    candidate = doc["policy"].get("candidate") or {"name": "candidate", "description": ""}
    days = doc["data"]["days"]
    subject = "The change"
    paragraphs = (
        ("Problem", _problem(doc, rows, days)),
        (
            "Change",
            f"{cmp['baseline_revision']} → {candidate['name']} {cmp['candidate_revision']}: "
            f"{candidate.get('description') or 'no description in the bundle'} "
            f"{cmp['items_changed']:,} of {cmp['items_replayed']:,} decisions change.",
        ),
        (
            "Daily impact",
            _join(
                _say(
                    subject, rows, "sent_to_review_per_day", "items sent to review a day", "count"
                ),
                _say(
                    subject,
                    rows,
                    "violating_unactioned_per_10k",
                    "violating items left unactioned",
                    "per10k",
                ),
                _say(
                    subject,
                    rows,
                    "violating_exposure_per_day",
                    "views of violating items before action a day",
                    "views",
                ),
            ),
        ),
        (
            "Cost avoided",
            _join(
                _say(subject, rows, "review_cost_per_day", "review cost a day", "money", currency),
                _say(
                    subject,
                    rows,
                    "review_cost_per_month",
                    _scaled("review cost a month", rows.get("review_cost_per_month")),
                    "money",
                    currency,
                ),
            )
            or _missing("review cost", "[costs].review_cost_per_item"),
        ),
        (
            "Reviewer time saved",
            _say(
                subject,
                rows,
                "reviewer_hours_per_day",
                _scaled("reviewer hours a day", rows.get("reviewer_hours_per_day")),
                "hours",
            )
            or _missing("reviewer time", "[costs].review_minutes_per_item"),
        ),
        (
            "False-positive cost",
            _join(
                _say(
                    subject,
                    rows,
                    "false_positive_rate_any_action",
                    "the false-positive rate",
                    "percent",
                ),
                _say(
                    subject,
                    rows,
                    "wrongful_action_cost_per_day",
                    "the cost of wrongful actions a day",
                    "money",
                    currency,
                )
                or _missing("wrongful-action cost", "[costs].wrongful_action_cost"),
            ),
        ),
    )
    shown = [rows[name] for name in TABLE_METRICS if name in rows]
    table = comparison_table(
        shown, ("Metric", "Before", "After", "Change [95% CI]", "Significant"), currency
    )
    table = replace(
        table,
        # The significance rule of the sentences, read off the interval: yes, no, or — without
        # an interval (one word keeps the labels on one line and the page to one).
        rows=tuple(
            (*cells[:4], _significance(r)) for r, cells in zip(shown, table.rows, strict=True)
        ),
        # Per-month rows say how they were scaled beside their label; per-day rows are the
        # window's totals ÷ its days, said once in the method (reviewer hours: in their
        # paragraph).
        notes=tuple(
            f"scaled: {scaling(r)}" if r["metric"].endswith("_per_month") and scaling(r) else ""
            for r in shown
        ),
    )
    # The replay's statements word the rows the paragraphs above already state; only what a
    # simulation of the same change adds is quoted (as simulated).
    simulated = [s["text"] for s in doc["statements"] if s["source"] == "simulated"]
    statements = tuple(simulated[:MAX_STATEMENTS])
    boot = cmp["bootstrap"]
    method = (
        f"Method: replay of the candidate on the {cmp['items_replayed']:,} stored items of "
        f"{doc['data']['first_ingested'][:10]} – {doc['data']['last_ingested'][:10]} "
        f"({days} days; {cmp['labelled']:,} labelled); 95% intervals of the change from a "
        f"{boot['method']} ({boot['replicates']:,} replicates, seed {boot['seed']}). Per-day "
        f"figures are the window's totals ÷ {days} days; per-month figures scale the totals to "
        "the configured monthly volume, as each says. Durations are in hours. Cost inputs: "
        + ("; ".join(cmp.get("cost_assumptions", [])) or "none configured")
        + "."
    )
    return CaseStudy(
        title=f"Case study: {candidate['name']} replaces {doc['policy']['name']}",
        synthetic=bool(doc["data"]["synthetic"]),
        paragraphs=paragraphs,
        table=table,
        statements=statements,
        method=method,
        chart_rows=tuple(rows[name] for name in CHART_METRICS if name in rows),
        currency=currency,
        baseline=f"{doc['policy']['name']} {cmp['baseline_revision']}",
        candidate=f"{candidate['name']} {cmp['candidate_revision']}",
    )


def _significance(row: Mapping[str, Any]) -> str:
    sig = significant(row.get("delta_ci_low"), row.get("delta_ci_high"))
    return "—" if sig is None else "yes" if sig else "no"


def _scaled(noun: str, row: Mapping[str, Any] | None) -> str:
    """``noun`` with how its row was scaled: ``review cost a month (= review cost ÷ 2,000
    items × 3,000,000 uploads/month)``."""
    how = "" if row is None else scaling(row)
    return f"{noun} (= {how})" if how else noun


def _problem(doc: Mapping[str, Any], rows: Mapping[str, Mapping[str, Any]], days: int) -> str:
    rollup = window_rows(doc["metrics"])
    parts = []
    prevalence = rollup.get("violating_per_10k_uploads")
    if prevalence and prevalence["value"] is not None and prevalence["ci_low"] is not None:
        parts.append(
            f"{fmt(prevalence['value'], 'per10k')} uploads were violating (95% CI "
            f"{fmt(prevalence['ci_low'], 'count')} to {fmt(prevalence['ci_high'], 'count')}; "
            f"{prevalence['n']:,} labelled items)"
        )
    unactioned, review = (
        rows.get("violating_unactioned_per_10k"),
        rows.get("sent_to_review_per_day"),
    )
    if unactioned and unactioned["baseline"] is not None:
        parts.append(
            f"the policy left {fmt(unactioned['baseline'], 'per10k')} labelled items "
            "violating and unactioned"
        )
    if review and review["baseline"] is not None:
        parts.append(f"it sent {fmt(review['baseline'], 'count')} items a day to human review")
    prefix = "On synthetic data, " if doc["data"]["synthetic"] else ""
    text = "; ".join(parts) or "the stored data has no labelled items to state the problem with"
    return f"{prefix}over {days} days, {text}."


def _say(
    subject: str,
    rows: Mapping[str, Mapping[str, Any]],
    metric: str,
    noun: str,
    unit: Unit,
    currency: str = "",
) -> str:
    row = rows.get(metric)
    if row is None or any(row.get(k) is None for k in ("baseline", "candidate", "delta")):
        return ""
    sig = significant(row.get("delta_ci_low"), row.get("delta_ci_high"))
    if sig is None:
        return ""
    return change_body(subject, row, Phrase(noun, unit), sig, currency) + "."


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _missing(what: str, setting: str) -> str:
    return f"Not computed: {what} needs {setting} in the settings."
