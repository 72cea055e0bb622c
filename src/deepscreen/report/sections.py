"""The report's sections as neutral blocks (paragraphs, tables, chart slots), from the report
document of ``service.report.build_report``. Markdown and HTML render the same blocks, so the
two formats carry the same numbers; only HTML fills the chart slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deepscreen.report.formatting import (
    comparison_cells,
    delta_interval,
    estimate,
    is_share,
    metric_cells,
    number,
    signed,
)
from deepscreen.report.statements import rollup_rows

HEADLINE_METRICS = (
    "uploads",
    "violating_per_10k_uploads",
    "view_prevalence_per_10k",
    "actioned_total",
    "sent_to_review",
    "proactive_rate",
    "automated_share",
    "precision_any_action",
    "recall_any_action",
    "false_positive_rate_any_action",
    "time_to_detect_median_hours",
    "time_to_action_median_hours",
    "time_to_action_p90_hours",
    "views_before_action_mean",
    "views_before_action_over_1000",
    "appeal_rate",
    "overturn_rate",
    "review_within_sla",
    "reviewer_hours",
)
OVER_TIME_METRICS = (
    "uploads",
    "violating_per_10k_uploads",
    "actioned_total",
    "sent_to_review",
    "false_positive_rate_any_action",
    "time_to_action_median_hours",
)
REVIEW_METRICS = (
    "sent_to_review",
    "review_within_sla",
    "reviewer_hours",
    "queue_precision_at_10",
    "queue_precision_at_100",
    "queue_harm_at_10",
    "queue_harm_at_100",
    "time_to_action_median_hours",
    "time_to_action_p90_hours",
)
EVALUATION_METRICS = ("auc", "average_precision", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr", "ece")
SIMULATION_METRICS = (
    "violating_views_realised",
    "views_prevented",
    "viral_deepfakes_stopped",
    "recall_any_action",
    "false_positive_rate_any_action",
    "sent_to_review",
    "review_backlog_final",
    "time_to_action_median_hours",
    "cost_net_value_simulated",
)


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    """Names of ``report.charts`` functions to draw here (HTML only)."""
    bullets: list[str] = field(default_factory=list)


def sections(doc: Mapping[str, Any]) -> list[Section]:
    """Every section that has data, in reading order."""
    out = [
        _headline(doc),
        _over_time(doc),
        _exposure(doc),
        _review(doc),
        _detector(doc),
        _comparison(doc),
        _frontier(doc),
        _simulation(doc),
        _assumptions(doc),
    ]
    return [s for s in out if s is not None]


def _metric_table(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> Table:
    by_name = {r["metric"]: r for r in rows}
    body = tuple((name, *metric_cells(by_name[name])) for name in names if name in by_name)
    return Table(("metric", "value", "95% CI", "n"), body)


def _headline(doc: Mapping[str, Any]) -> Section:
    data = doc["data"]
    section = Section("headline", "Headline impact")
    section.paragraphs.append(
        f"{data['items']:,} items ingested from {data['first_ingested'][:10]} to "
        f"{data['last_ingested'][:10]} ({data['days']} days); active policy "
        f"{doc['policy']['name']} {doc['policy']['revision']}."
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "measured"]
    section.tables.append(_metric_table(rollup_rows(doc["metrics"], "all"), HEADLINE_METRICS))
    costs = [r for r in doc["metrics"] if r["metric"].startswith("cost_")]
    if costs:
        currency = doc["costs"]["model"]["currency"]
        section.tables.append(
            Table(
                ("cost figure", f"value ({currency})", "how"),
                tuple(
                    (r["metric"], number(r["value"]), doc["definitions"][r["metric"]])
                    for r in costs
                ),
            )
        )
    missing = [
        f"{name}: not computed — {figure['reason']}"
        for name, figure in doc["costs"]["figures"].get("figures", {}).items()
        if figure.get("value") is None and figure.get("reason")
    ]
    section.bullets += missing
    return section


def _over_time(doc: Mapping[str, Any]) -> Section | None:
    rows = [r for r in rollup_rows(doc["metrics"]) if r["period"] != "all"]
    periods = sorted({r["period"] for r in rows})
    if not periods:
        return None
    by_key = {(r["period"], r["metric"]): r for r in rows}
    body = []
    for period in periods:
        cells = [period]
        for name in OVER_TIME_METRICS:
            row = by_key.get((period, name))
            cells.append("—" if row is None else number(row["value"], share=is_share(name)))
        body.append(tuple(cells))
    return Section(
        "over_time",
        f"Prevalence and actions over time (by {doc['data']['period']})",
        paragraphs=["Cohorts by ingestion: each item counts in the period it was uploaded."],
        tables=[Table(("period", *OVER_TIME_METRICS), tuple(body))],
        charts=["prevalence_chart", "actions_chart"],
    )


def _exposure(doc: Mapping[str, Any]) -> Section:
    rows = rollup_rows(doc["metrics"], "all")
    names = [
        "time_to_detect_median_hours",
        "time_to_action_median_hours",
        "time_to_action_p90_hours",
        "views_before_action_mean",
        *[r["metric"] for r in rows if r["metric"].startswith("views_before_action_")],
    ]
    return Section(
        "exposure",
        "Time to detect, time to action and views before action",
        tables=[_metric_table(rows, list(dict.fromkeys(names)))],
        charts=["time_to_action_chart", "views_before_action_chart"],
    )


def _review(doc: Mapping[str, Any]) -> Section:
    rows = rollup_rows(doc["metrics"], "all")
    return Section(
        "review",
        "Review load and service level",
        paragraphs=[
            "Review load is the items the automated decision routed to people; time to action "
            "is the service level actually delivered (median and 90th percentile, hours)."
        ],
        tables=[_metric_table(rows, REVIEW_METRICS)],
        charts=["review_load_chart"],
    )


def _detector(doc: Mapping[str, Any]) -> Section | None:
    ev = doc.get("evaluation")
    if not ev:
        return None
    metrics = ev.get("metrics", {})
    body = tuple(
        (name, estimate(metrics.get(name), share=name != "auc" and name != "average_precision"))
        for name in EVALUATION_METRICS
        if name in metrics
    )
    sources = tuple(
        (
            str(row.get("source")),
            f"{row.get('n', 0):,}",
            estimate(row.get("recall")),
            estimate(row.get("fpr")),
        )
        for row in ev.get("per_source", [])
    )
    tables = [Table(("metric", "value [95% CI]"), body)]
    if sources:
        tables.append(Table(("source", "items", "recall [95% CI]", "FPR [95% CI]"), sources))
    return Section(
        "detector",
        "Detector quality",
        paragraphs=[
            f"Held-out evaluation on {ev.get('n', 0):,} labelled items "
            f"({ev.get('positives', 0):,} AI-generated, {ev.get('negatives', 0):,} real) at "
            f"threshold {number(ev.get('threshold'))}."
        ],
        tables=tables,
        charts=["roc_chart", "pr_chart", "reliability_chart", "per_source_recall_chart"],
    )


def _comparison(doc: Mapping[str, Any]) -> Section | None:
    cmp = doc.get("comparison")
    if not cmp:
        return None
    section = Section(
        "comparison",
        f"Policy comparison: {cmp['baseline_revision']} → {cmp['candidate_revision']}",
        charts=["comparison_chart"],
    )
    candidate = doc["policy"].get("candidate") or {}
    if candidate.get("description"):
        section.paragraphs.append(f"Candidate {candidate['name']}: {candidate['description']}")
    section.paragraphs.append(
        f"Replay on {cmp['items_replayed']:,} stored items ({cmp['items_changed']:,} decisions "
        f"changed; {cmp['labelled']:,} labelled, {cmp['violating']:,} violating). Deltas: "
        f"{cmp['bootstrap']['method']}, {cmp['bootstrap']['replicates']:,} replicates, "
        f"95% intervals."
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "replay"]
    section.tables.append(
        Table(
            ("metric", "baseline", "candidate", "change [95% CI]", "verdict"),
            tuple((r["metric"], *comparison_cells(r)) for r in cmp["metrics"]),
        )
    )
    if doc.get("daily"):
        section.tables.append(
            Table(
                ("per day", "baseline", "candidate", "change [95% CI]", "verdict"),
                tuple((r["metric"], *comparison_cells(r)) for r in doc["daily"]),
            )
        )
    return section


def _frontier(doc: Mapping[str, Any]) -> Section | None:
    opt = doc.get("optimization")
    if not opt or not opt.get("frontier"):
        return None
    currency = opt.get("currency", "")
    body = tuple(
        (
            ", ".join(threshold_cell(a, t) for a, t in row["thresholds"].items()),
            number(row["expected_cost"]),
            number(row.get("false_positive_rate"), share=True),
            number(row["review_per_day"]),
            "yes" if row.get("meets_constraints") else "no",
            "chosen" if row.get("chosen") else "",
        )
        for row in opt["frontier"]
    )
    return Section(
        "frontier",
        "Cost trade-off frontier",
        paragraphs=[
            "Threshold combinations no other combination beats on expected cost, "
            "false-positive rate and review load at once (from `deepscreen impact optimize`)."
        ],
        tables=[
            Table(
                (
                    "thresholds",
                    f"expected cost ({currency})",
                    "false-positive rate",
                    "review / day",
                    "meets constraints",
                    "",
                ),
                body,
            )
        ],
        charts=["frontier_chart"],
    )


def threshold_cell(action: str, threshold: float) -> str:
    """``remove ≥ 0.8``, or ``remove off`` at 1.0 (the optimiser's "off": scores are ≤ 1 and a
    threshold of 1 is written for an action that never fires)."""
    return f"{action} off" if threshold >= 1.0 else f"{action} ≥ {number(threshold)}"


def _simulation(doc: Mapping[str, Any]) -> Section | None:
    sim = doc.get("simulation")
    if not sim:
        return None
    by_key = {(r["combination"], r["metric"]): r for r in sim.get("rows", [])}
    body = []
    for combination in sim.get("combinations", []):
        for name in SIMULATION_METRICS:
            row = by_key.get((combination, name))
            if row is None:
                continue
            share = is_share(name)
            body.append(
                (
                    combination,
                    name,
                    number(row["value"], share=share),
                    "" if row.get("delta") is None else signed_delta(row, share),
                )
            )
    section = Section(
        "simulation",
        "What-if (simulated)",
        paragraphs=[str(sim.get("simulated_note", "Simulated: not measurements."))],
        tables=[Table(("combination", "metric", "mean", "paired change [95% CI]"), tuple(body))],
        charts=["simulation_chart"],
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "simulated"]
    return section


def signed_delta(row: Mapping[str, Any], share: bool) -> str:
    return (
        f"{signed(row['delta'], share=share)} "
        f"{delta_interval(row.get('delta_low'), row.get('delta_high'), share=share)}"
    ).strip()


def _assumptions(doc: Mapping[str, Any]) -> Section:
    section = Section("assumptions", "Assumptions and data sources")
    section.bullets = list(doc["assumptions"])
    shown = doc["definitions"]
    section.tables.append(
        Table(
            ("metric", "definition"),
            tuple((name, shown[name]) for name in HEADLINE_METRICS if name in shown),
        )
    )
    return section
