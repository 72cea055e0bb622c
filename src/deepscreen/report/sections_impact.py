"""The report's sections on measured impact: headline, prevalence and actions over time,
exposure, review load and takedown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepscreen.report.blocks import Section, Table, _currency, _metric_table
from deepscreen.report.formatting import interval, label, unit_of, value
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
