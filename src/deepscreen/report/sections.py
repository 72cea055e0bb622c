"""The report's sections as neutral blocks (paragraphs, tables, chart slots), from the report
document of ``service.report.build_report``. Markdown and HTML render the same blocks, so the
two formats carry the same numbers; only HTML fills the chart slots."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deepscreen.report.formatting import (
    change,
    comparison_cells,
    estimate,
    interval,
    label,
    metric_cells,
    number,
    scaling,
    unit_of,
    value,
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
    """A table of text cells. A metric row shows its human label; its raw metric id (the name
    in the JSON and the CLI) rides along in ``row_ids`` (a tooltip in HTML), and a header that
    names a metric in ``header_ids``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_ids: tuple[str, ...] = ()
    """The metric id of each row ("" for none), for the cell in column ``id_column``."""
    id_column: int = 0
    header_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """A note under each row's label ("" for none): how a scaled row was scaled."""
    code_columns: tuple[int, ...] = ()
    """Columns holding raw names, printed as code that does not wrap."""
    prose_columns: tuple[int, ...] = ()
    """Columns of words that wrap (definitions, verdicts); other value cells keep a number and
    its interval on one line in HTML."""

    def row_id(self, i: int) -> str:
        return self.row_ids[i] if i < len(self.row_ids) else ""

    def note(self, i: int) -> str:
        return self.notes[i] if i < len(self.notes) else ""

    def header_id(self, i: int) -> str:
        return self.header_ids[i] if i < len(self.header_ids) else ""


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
        _takedown(doc),
        _detector(doc),
        _comparison(doc),
        _frontier(doc),
        _simulation(doc),
        _assumptions(doc),
    ]
    return [s for s in out if s is not None]


def _currency(doc: Mapping[str, Any]) -> str:
    return str(doc["costs"]["model"].get("currency") or "")


METRIC_HEADERS = ("Metric", "Value", "95% CI", "n")


def _metric_table(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], currency: str = ""
) -> Table:
    by_name = {r["metric"]: r for r in rows}
    shown = [name for name in names if name in by_name]
    body = tuple((label(name), *metric_cells(by_name[name], currency)) for name in shown)
    return Table(METRIC_HEADERS, body, row_ids=tuple(shown))


def comparison_table(
    rows: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    currency: str,
    *,
    scaled: bool = False,
) -> Table:
    """Comparison rows under their labels, in their units; ``scaled`` rows (per day, per
    month) carry how they were scaled as a note."""
    return Table(
        tuple(headers),
        tuple((label(r["metric"]), *comparison_cells(r, currency)) for r in rows),
        row_ids=tuple(r["metric"] for r in rows),
        notes=tuple(_scaled_note(r) for r in rows) if scaled else (),
        prose_columns=(4,),
    )


def scaling_note(rows: Sequence[Mapping[str, Any]], days: int) -> str:
    """How per-day and per-month rows relate to the comparison's totals, in one sentence."""
    text = f"Per day: the replayed window's totals ÷ {days:,} days."
    if any(r["metric"].endswith("_per_month") for r in rows):
        text += (
            " Per month: the totals ÷ the compared items × the configured monthly volume (the "
            "replayed items scaled to the platform's uploads, not the per-day figure × 30)."
        )
    return text + " Each scaled row says how it was scaled."


def _scaled_note(row: Mapping[str, Any]) -> str:
    """``scaled: <formula in words>`` of a per-day/per-month row (one with a ``formula`` or a
    ``from_metric``); "" for a row that was not scaled."""
    if not (row.get("formula") or row.get("from_metric")):
        return ""
    how = scaling(row)
    return f"scaled: {how}" if how else ""


def _headline(doc: Mapping[str, Any]) -> Section:
    data = doc["data"]
    currency = _currency(doc)
    section = Section("headline", "Headline impact")
    section.paragraphs.append(
        f"{data['items']:,} items ingested from {data['first_ingested'][:10]} to "
        f"{data['last_ingested'][:10]} ({data['days']} days); active policy "
        f"{doc['policy']['name']} {doc['policy']['revision']}."
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "measured"]
    section.tables.append(
        _metric_table(rollup_rows(doc["metrics"], "all"), HEADLINE_METRICS, currency)
    )
    costs = [r for r in doc["metrics"] if r["metric"].startswith("cost_")]
    if costs:
        section.tables.append(
            Table(
                ("Cost figure", "Value", "How it is computed"),
                tuple(
                    (
                        label(r["metric"]),
                        value(r["value"], unit_of(r["metric"]), currency),
                        doc["definitions"][r["metric"]],
                    )
                    for r in costs
                ),
                row_ids=tuple(r["metric"] for r in costs),
                prose_columns=(2,),
            )
        )
    missing = [
        f"{label(name)}: not computed — {figure['reason']}"
        for name, figure in doc["costs"]["figures"].get("figures", {}).items()
        if figure.get("value") is None and figure.get("reason")
    ]
    section.bullets += missing
    return section


def _period_title(period: str) -> str:
    return {"week": "Upload week (ISO)", "month": "Upload month", "day": "Upload day"}.get(
        period, "Upload period"
    )


def _over_time(doc: Mapping[str, Any]) -> Section | None:
    rows = [r for r in rollup_rows(doc["metrics"]) if r["period"] != "all"]
    periods = sorted({r["period"] for r in rows})
    if not periods:
        return None
    currency = _currency(doc)
    by_key = {(r["period"], r["metric"]): r for r in rows}
    body = []
    for period in periods:
        cells = [period]
        for name in OVER_TIME_METRICS:
            row = by_key.get((period, name))
            cells.append("—" if row is None else value(row["value"], unit_of(name), currency))
        body.append(tuple(cells))
    return Section(
        "over_time",
        f"Prevalence and actions over time (by {doc['data']['period']})",
        paragraphs=["Cohorts by ingestion: each item counts in the period it was uploaded."],
        tables=[
            Table(
                (_period_title(doc["data"]["period"]), *(label(n) for n in OVER_TIME_METRICS)),
                tuple(body),
                header_ids=("", *OVER_TIME_METRICS),
            )
        ],
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
        tables=[_metric_table(rows, list(dict.fromkeys(names)), _currency(doc))],
        charts=["time_to_action_chart", "views_before_action_chart"],
    )


def _review(doc: Mapping[str, Any]) -> Section:
    rows = rollup_rows(doc["metrics"], "all")
    return Section(
        "review",
        "Review load and service level",
        paragraphs=[
            "Review load is the items the automated decision routed to people; time to action "
            "is the service level actually delivered (median and 90th percentile, in hours)."
        ],
        tables=[_metric_table(rows, REVIEW_METRICS, _currency(doc))],
        charts=["review_load_chart"],
    )


def _takedown(doc: Mapping[str, Any]) -> Section | None:
    """Takedown requests and how fast they were removed (``impact.takedown``); only when the
    window holds requests or copies. Rows carry their own label and unit."""
    takedown = doc.get("takedown")
    if not takedown:
        return None
    rows = takedown["figures"]
    body = tuple(
        (
            r["label"],
            r["notice_type"].replace("_", " "),
            value(r["value"], r["unit"]),
            interval(r.get("ci_low"), r.get("ci_high"), unit=r["unit"]),
            f"{r['n']:,}",
        )
        for r in rows
    )
    return Section(
        "takedown",
        "Takedown requests (TAKE IT DOWN Act, DSA notices)",
        paragraphs=[
            "Requests to take an item down — non-consensual intimate imagery under the US TAKE "
            "IT DOWN Act (removal within 48 hours of a valid request), illegal content under an "
            "EU DSA notice — by type, as known at "
            f"{takedown['as_of'][:16].replace('T', ' ')} UTC. The share removed within the "
            "deadline counts matched requests not rejected whose deadline has passed or that "
            "were removed (95% Wilson interval); the median time to removal has the exact "
            "order-statistic interval. Copies are other items matching a removed item's hashes, "
            "removed at upload or in a sweep of stored items."
        ],
        tables=[
            Table(
                ("Figure", "Type", "Value", "95% CI", "n"),
                body,
                row_ids=tuple(r["metric"] for r in rows),
            )
        ],
    )


def _detector(doc: Mapping[str, Any]) -> Section | None:
    ev = doc.get("evaluation")
    if not ev:
        return None
    metrics = ev.get("metrics", {})
    shown = [name for name in EVALUATION_METRICS if name in metrics]
    body = tuple(
        (
            label(name),
            estimate(metrics.get(name), share=name not in ("auc", "average_precision")),
        )
        for name in shown
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
    tables = [Table(("Metric", "Value [95% CI]"), body, row_ids=tuple(shown))]
    if sources:
        tables.append(
            Table(
                (
                    "Source",
                    "Items",
                    "Recall: AI items flagged [95% CI]",
                    "False-positive rate: real items flagged [95% CI]",
                ),
                sources,
            )
        )
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


COMPARISON_HEADERS = ("Metric", "Baseline", "Candidate", "Change [95% CI]", "Verdict")


def _comparison(doc: Mapping[str, Any]) -> Section | None:
    cmp = doc.get("comparison")
    if not cmp:
        return None
    currency = _currency(doc)
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
        f"95% intervals of the change (candidate − baseline)."
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "replay"]
    section.tables.append(comparison_table(cmp["metrics"], COMPARISON_HEADERS, currency))
    if doc.get("daily"):
        section.paragraphs.append(scaling_note(doc["daily"], doc["data"]["days"]))
        section.tables.append(
            comparison_table(
                doc["daily"],
                ("Per day and per month (scaled)", *COMPARISON_HEADERS[1:]),
                currency,
                scaled=True,
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
                    "Thresholds",
                    f"Expected cost ({currency})",
                    "False-positive rate",
                    "Review load (items a day)",
                    "Meets constraints",
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
    ids = []
    for combination in sim.get("combinations", []):
        for name in SIMULATION_METRICS:
            row = by_key.get((combination, name))
            if row is None:
                continue
            unit = unit_of(name)
            body.append(
                (
                    combination,
                    label(name),
                    value(row["value"], unit),
                    "" if row.get("delta") is None else change(row, unit),
                )
            )
            ids.append(name)
    section = Section(
        "simulation",
        "What-if (simulated)",
        paragraphs=[str(sim.get("simulated_note", "Simulated: not measurements."))],
        tables=[
            Table(
                ("Combination", "Metric", "Mean", "Paired change [95% CI]"),
                tuple(body),
                row_ids=tuple(ids),
                id_column=1,
            )
        ],
        charts=["simulation_chart"],
    )
    section.bullets = [s["text"] for s in doc["statements"] if s["source"] == "simulated"]
    return section


def _assumptions(doc: Mapping[str, Any]) -> Section:
    section = Section("assumptions", "Assumptions and data sources")
    section.bullets = list(doc["assumptions"])
    shown = doc["definitions"]
    names = [name for name in HEADLINE_METRICS if name in shown]
    section.tables.append(
        Table(
            ("Metric", "Name (JSON, CLI)", "Definition"),
            tuple((label(name), name, shown[name]) for name in names),
            row_ids=tuple(names),
            code_columns=(1,),
            prose_columns=(2,),
        )
    )
    return section
