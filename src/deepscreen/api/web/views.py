"""What a task page shows, built from service calls only: a claimed task with its evidence, the
actions a violation may take, and for an appeal the decision and review appealed against. Plain
values for the templates (queue pages: ``queue_views``; dashboard: ``dashboard_views``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deepscreen.core.errors import NotFound
from deepscreen.core.events import DecisionMade, ReviewCompleted
from deepscreen.core.signals import SignalResult
from deepscreen.core.tasks import TaskKind
from deepscreen.service.appeals import LABEL_IMPORT_PREFIX
from deepscreen.service.items import ItemSummary, explain_decision, item_summary
from deepscreen.service.review_actions import ActionChoices
from deepscreen.service.review_queue import Assignment, pseudonym, task_action_choices
from deepscreen.service.scan import Services


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
    actions: ActionChoices | None = None  # a review task's choices for "violating"
    appeal: AppealFacts | None = None  # an appeal's decision and review appealed against
    takedown: Mapping[str, Any] | None = None  # a takedown task's notice (times parsed)


@dataclass(frozen=True)
class ReviewFacts:
    """The review that confirmed a violation, by pseudonym (never the key id)."""

    reviewer: str
    occurred_at: datetime
    verdict: str
    action: str | None
    reason_code: str
    label: str


@dataclass(frozen=True)
class AppealFacts:
    """What an appeal is against: the automated decision (action, rule, time), the action in
    force and since when, the reviewer's verdict, action and reason code when a person decided
    (None: the action was automated), and the appellant's statement."""

    decision_id: str | None
    action: str | None
    rule_id: str | None
    decided_at: datetime | None
    policy_revision: str | None
    enforced_action: str | None
    enforced_at: datetime | None
    review: ReviewFacts | None
    statement: str


def appeal_facts(services: Services, assignment: Assignment) -> AppealFacts:
    """The facts of an appeal task, read from its context and the item's events."""
    context = assignment.context
    decision_id = context.get("decision_id")
    events = services.store.for_item(assignment.item_id)
    decision = next(
        (
            e.decision
            for e in events
            if isinstance(e, DecisionMade) and e.decision.decision_id == decision_id
        ),
        None,
    )
    reviews = [
        e
        for e in events
        if isinstance(e, ReviewCompleted)
        and e.decision_id == decision_id
        and not e.reviewer.startswith(LABEL_IMPORT_PREFIX)
    ]
    review = reviews[-1] if reviews else None
    return AppealFacts(
        decision_id=decision_id,
        action=decision.action.value if decision else context.get("action"),
        rule_id=decision.rule_id if decision else context.get("rule_id"),
        decided_at=decision.decided_at if decision else None,
        policy_revision=decision.policy_revision if decision else context.get("policy_revision"),
        enforced_action=context.get("enforced_action"),
        enforced_at=_time(context.get("enforced_at")),
        review=None
        if review is None
        else ReviewFacts(
            reviewer=pseudonym(services, review.reviewer),
            occurred_at=review.occurred_at,
            verdict=review.verdict.value,
            action=review.action.value if review.action else None,
            reason_code=review.reason_code,
            label=review.label,
        ),
        statement=str(context.get("statement") or ""),
    )


def task_view(services: Services, assignment: Assignment) -> TaskView:
    """A claimed task with its item's recorded evidence. Never the item's earlier reviews
    on a review task: a gold task is an already-labelled item, and its answer must stay
    hidden (an appeal shows the review it is against)."""
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
    appeal = assignment.kind is TaskKind.APPEAL
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
        actions=None if appeal else task_action_choices(services, assignment.task_id),
        appeal=appeal_facts(services, assignment) if appeal else None,
        takedown=_takedown(assignment.context.get("takedown")),
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


def _takedown(value: object) -> Mapping[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    times = {k: _time(value.get(k)) for k in ("received_at", "deadline_at")}
    return {**value, **times}


def _time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)
