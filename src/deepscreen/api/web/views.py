"""What the pages show, built from service calls only: queue overviews, a claimed task with its
evidence, and the dashboard. Plain values for the templates; no HTML here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deepscreen.core.errors import NotFound
from deepscreen.core.signals import SignalResult
from deepscreen.core.tasks import ReviewTask, TaskStatus
from deepscreen.impact.metrics import to_records
from deepscreen.review.assignment import Assignment
from deepscreen.service.impact import impact_report
from deepscreen.service.items import ItemSummary, explain_decision, item_summary
from deepscreen.service.review_gold import AccuracyReport, reviewer_accuracy
from deepscreen.service.review_queue import configured, overdue, pseudonym, queue_counts
from deepscreen.service.scan import Services

OVERDUE_SHOWN = 50


@dataclass(frozen=True)
class QueueRow:
    queue: str
    open: int
    claimed: int
    done: int
    overdue: int
    sla_hours: float


@dataclass(frozen=True)
class QueueOverview:
    rows: list[QueueRow]
    overdue: list[ReviewTask]
    claimed_by: Mapping[str, str]  # task id → pseudonym of whoever holds it


def queue_overview(services: Services, now: datetime, *, appeals: bool) -> QueueOverview:
    """The appeals queue (``appeals``) or the review queues: counts, SLA, overdue tasks."""
    _, config = configured(services)

    def wanted(queue: str) -> bool:
        # Never the gold queue: a count moving there would tell a reviewer their task is gold.
        return queue == config.appeals_queue if appeals else queue not in hidden

    hidden = {config.appeals_queue, config.gold_queue}
    by_queue: dict[str, dict[TaskStatus, tuple[int, int]]] = {}
    for count in queue_counts(services, now=now):
        if wanted(count.queue):
            by_queue.setdefault(count.queue, {})[count.status] = (count.tasks, count.overdue)
    rows = [
        QueueRow(
            queue=name,
            open=statuses.get(TaskStatus.OPEN, (0, 0))[0],
            claimed=statuses.get(TaskStatus.CLAIMED, (0, 0))[0],
            done=statuses.get(TaskStatus.DONE, (0, 0))[0],
            overdue=sum(o for s, (_, o) in statuses.items() if s is not TaskStatus.DONE),
            sla_hours=config.sla_hours_by_queue.get(name, config.default_sla_hours),
        )
        for name, statuses in sorted(by_queue.items())
    ]
    names = [r.queue for r in rows]
    late = overdue(services, now=now, queues=names, limit=OVERDUE_SHOWN) if names else []
    holders = {t.task_id: pseudonym(services, t.claimed_by) for t in late if t.claimed_by}
    return QueueOverview(rows, late, holders)


def review_queue_names(services: Services, now: datetime) -> list[str]:
    """The queues "Claim next" draws from on the queue page: all but appeals and gold."""
    return [r.queue for r in queue_overview(services, now, appeals=False).rows]


@dataclass(frozen=True)
class Evidence:
    """A signal's evidence split for display: scalars as a list, anything nested as JSON."""

    scalars: list[tuple[str, Any]]
    nested: list[tuple[str, str]]


@dataclass(frozen=True)
class SimilarItem:
    bank: str
    purpose: str
    distance: int
    threshold: int
    banked_item: str | None
    reason: str
    found: str  # "at scan" or "since scan"


@dataclass(frozen=True)
class RuleLine:
    rule_id: str
    outcome: str
    error: str | None
    description: str
    when: str


@dataclass(frozen=True)
class TaskView:
    assignment: Assignment
    item: ItemSummary | None
    evidence: Mapping[str, Evidence]
    rules: list[RuleLine] | None  # None: the decision was made by another policy revision
    derived_json: str
    inputs_json: str
    similar: list[SimilarItem]
    statement: str | None
    context: Mapping[str, Any] = field(default_factory=dict)


def task_view(services: Services, assignment: Assignment) -> TaskView:
    """A claimed task with its item's recorded evidence. Never the item's earlier reviews:
    a gold task is an already-labelled item, and its answer must stay hidden."""
    try:
        item: ItemSummary | None = item_summary(services, assignment.item_id)
    except NotFound:
        item = None
    decision = item.decision if item else None
    explanation = explain_decision(services, decision) if decision else None
    rules = None
    if explanation is not None:
        specs = {r.rule.id: r.rule for r in services.bundle.rules}
        rules = [
            RuleLine(
                t.rule_id,
                t.outcome.value,
                t.error,
                specs[t.rule_id].description if t.rule_id in specs else "",
                specs[t.rule_id].when if t.rule_id in specs else "",
            )
            for t in explanation.traces
        ]
    signals = item.signals if item else ()
    return TaskView(
        assignment=assignment,
        item=item,
        evidence={s.detector: split_evidence(s.evidence) for s in signals},
        rules=rules,
        derived_json=_json(explanation.derived if explanation else {}),
        inputs_json=_json(decision.inputs if decision else {}),
        similar=similar_banked(services, assignment.item_id, signals),
        statement=assignment.context.get("statement"),
        context=assignment.context,
    )


def split_evidence(evidence: Mapping[str, Any]) -> Evidence:
    scalars = [(k, v) for k, v in evidence.items() if not isinstance(v, Mapping | list)]
    nested = [(k, _json(v)) for k, v in evidence.items() if isinstance(v, Mapping | list)]
    return Evidence(scalars, nested)


def similar_banked(
    services: Services, item_id: str, signals: tuple[SignalResult, ...]
) -> list[SimilarItem]:
    """Bank entries near the item: those the hashmatch signal found at scan time, then those
    the bank matcher finds now (entries banked since). The item's own entries are left out."""
    hashmatch = next((s for s in signals if s.detector == "hashmatch"), None)
    if hashmatch is None or "matches" not in hashmatch.evidence:
        return []  # not an image hashed with enough detail to match
    found: dict[tuple[str, str], SimilarItem] = {}
    for match in hashmatch.evidence["matches"]:
        found[(match["bank"], match["matched_hash"])] = _similar(match, "at scan")
    if services.matcher is not None:
        for now_match in services.matcher.match(hashmatch.evidence["pdq"]):
            key = (now_match.bank, now_match.hash_hex)
            found.setdefault(key, _similar(now_match.to_evidence(), "since scan"))
    return [s for s in found.values() if s.banked_item != item_id]


def _similar(match: Mapping[str, Any], found: str) -> SimilarItem:
    return SimilarItem(
        bank=str(match["bank"]),
        purpose=str(match["purpose"]),
        distance=int(match["distance"]),
        threshold=int(match["threshold"]),
        banked_item=match.get("banked_item"),
        reason=str(match.get("reason", "")),
        found=found,
    )


@dataclass(frozen=True)
class Headline:
    name: str
    title: str
    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    definition: str


# The metrics a dashboard leads with, in order, and their titles. ``labelled_items`` is the n
# of ``violating_per_10k_uploads``: items with a ground-truth label (reviews and imports).
HEADLINES = (
    ("uploads", "Uploads"),
    ("sent_to_review", "Sent to review"),
    ("labelled_items", "Labelled items"),
    ("actioned_total", "Items actioned"),
    ("violating_per_10k_uploads", "Violating per 10k uploads"),
    ("precision_any_action", "Precision of actions"),
    ("automated_share", "Automated share of actions"),
    ("appeal_rate", "Appeal rate"),
    ("overturn_rate", "Overturn rate"),
    ("time_to_action_median_hours", "Median time to action (h)"),
)


@dataclass(frozen=True)
class Dashboard:
    headlines: list[Headline]
    accuracy: AccuracyReport  # pseudonymised


def dashboard(services: Services, costs: Mapping[str, Any]) -> Dashboard:
    """Headline rows of the impact metric table (all time, no breakdowns, no bootstrap: a page
    view stays cheap) and reviewer accuracy under pseudonyms."""
    report = impact_report(
        services, costs, period="all", by_segment=False, by_policy=False, bootstrap=False
    )
    rows = {r["metric"]: r for r in to_records(report.table)}
    if "violating_per_10k_uploads" in rows:
        base = rows["violating_per_10k_uploads"]
        rows["labelled_items"] = {
            "value": base["n"],
            "ci_low": None,
            "ci_high": None,
            "n": base["n"],
            "definition": "Items with a ground-truth label (latest review or imported label): "
            "the n of violating_per_10k_uploads.",
        }
    headlines = [
        Headline(
            name,
            title,
            row["value"],
            row["ci_low"],
            row["ci_high"],
            int(row["n"]),
            row["definition"],
        )
        for name, title in HEADLINES
        if (row := rows.get(name)) is not None
    ]
    accuracy = reviewer_accuracy(services).pseudonymised(lambda r: pseudonym(services, r))
    return Dashboard(headlines, accuracy)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)
