"""Appeals, pure: which enforcement an appeal is against, its task, and the events that record
its resolution (``AppealResolved``, plus ``ItemRestored`` when the action is reversed)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemRestored,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.review.config import ReviewConfig
from deepscreen.review.priority import priority_inputs, wrongful_views_per_minute
from deepscreen.review.routing import CONTEXT, PRIORITY_INPUTS, decision_context

LABEL_IMPORT_PREFIX = "label-import:"


@dataclass(frozen=True, slots=True)
class Enforcement:
    """An action in force on an item: an enforcing decision, or a review decision a person
    confirmed as violating (``confirmed_by``; ``action`` None when the review recorded none)."""

    decision: Decision
    action: Action | None
    enforced_at: datetime
    confirmed_by: str | None = None


def appeal_task_id(decision_id: str) -> str:
    """One appeal per enforcing decision: appealing it again returns the same task."""
    return f"appeal:{decision_id}"


def latest_enforcement(events: Iterable[Event]) -> Enforcement | None:
    """The enforcement in force after an item's events (in log order), or None.

    An enforcing ``DecisionMade`` enforces; an ``allow`` lifts it; a ``review`` decision
    enforces once a person (not a label import) confirms a violation; a person's review that
    applies a restricting action to an item its decision did not route to review (a takedown
    request, a user report) enforces too, against the item's latest decision; ``ItemRestored``
    of the enforcing decision lifts it.
    """
    current: Enforcement | None = None
    routed: Decision | None = None
    latest: Decision | None = None
    for event in events:
        if isinstance(event, DecisionMade):
            action = event.decision.action
            if action.is_enforcement:
                current = Enforcement(event.decision, action, event.occurred_at)
            elif action is Action.ALLOW:
                current = None
            routed = event.decision if action is Action.REVIEW else None
            latest = event.decision
        elif isinstance(event, ReviewCompleted) and _confirms(event, routed):
            assert routed is not None
            current = Enforcement(routed, event.action, event.occurred_at, event.reviewer)
        elif isinstance(event, ReviewCompleted) and _applies_action(event, latest):
            assert latest is not None and event.action is not None
            current = Enforcement(latest, event.action, event.occurred_at, event.reviewer)
        elif isinstance(event, ItemRestored) and current is not None:
            if event.decision_id in (None, current.decision.decision_id):
                current = None
    return current


def last_reviewer(events: Iterable[Event]) -> str | None:
    """Who last reviewed the item (the most recent ``ReviewCompleted``), if anyone."""
    reviewers = [e.reviewer for e in events if isinstance(e, ReviewCompleted)]
    return reviewers[-1] if reviewers else None


def appeal_task(
    enforcement: Enforcement,
    *,
    statement: str,
    exclude_reviewer: str | None,
    config: ReviewConfig,
    views_so_far: int | None,
    now: datetime,
) -> ReviewTask:
    """The appeals-queue task against ``enforcement``, received at ``now``."""
    decision = enforcement.decision
    inputs = priority_inputs(decision, config.priority, views_so_far=views_so_far)
    context = {
        **decision_context(decision),
        "enforced_action": enforcement.action.value if enforcement.action else None,
        "enforced_at": enforcement.enforced_at.isoformat(),
        "statement": statement,
    }
    return ReviewTask(
        task_id=appeal_task_id(decision.decision_id),
        item_id=decision.item_id,
        kind=TaskKind.APPEAL,
        queue=config.appeals_queue,
        priority=wrongful_views_per_minute(inputs),
        created_at=now,
        due_at=config.sla_due(config.appeals_queue, now),
        exclude_reviewer=exclude_reviewer,
        decision_id=decision.decision_id,
        payload={CONTEXT: context, PRIORITY_INPUTS: inputs.to_dict()},
    )


def resolution_events(task: ReviewTask, outcome: AppealOutcome, now: datetime) -> list[Event]:
    """``AppealResolved`` (received when the task was created); a ``reversed`` outcome also
    restores the item (``ItemRestored``). A partial reversal changes the action rather than
    undoing it, so it restores nothing by itself."""
    if now < task.created_at:
        raise InvalidInput(
            f"appeal {task.task_id!r} was received at {task.created_at.isoformat()}: it cannot "
            f"be resolved earlier, at {now.isoformat()}"
        )
    events: list[Event] = [
        AppealResolved(
            item_id=task.item_id,
            occurred_at=now,
            received_at=task.created_at,
            outcome=outcome,
            decision_id=task.decision_id,
        )
    ]
    if outcome is AppealOutcome.REVERSED:
        events.append(
            ItemRestored(item_id=task.item_id, occurred_at=now, decision_id=task.decision_id)
        )
    return events


def _applies_action(review: ReviewCompleted, latest: Decision | None) -> bool:
    """A person's violation verdict with a restricting action, outside a routed review."""
    return (
        latest is not None
        and review.verdict is Verdict.VIOLATING
        and review.action is not None
        and review.action.is_enforcement
        and not review.reviewer.startswith(LABEL_IMPORT_PREFIX)
    )


def _confirms(review: ReviewCompleted, routed: Decision | None) -> bool:
    return (
        routed is not None
        and review.verdict is Verdict.VIOLATING
        and not review.reviewer.startswith(LABEL_IMPORT_PREFIX)
        and review.decision_id in (None, routed.decision_id)
    )
