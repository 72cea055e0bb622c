"""The report's sections on the optional analyses: detector evaluation, policy comparison,
threshold frontier and simulation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepscreen.report.blocks import Section, Table, _currency, comparison_table, scaling_note
from deepscreen.report.formatting import change, estimate, label, number, unit_of, value

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
