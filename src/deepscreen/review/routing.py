"""Route a decision to a review queue: the task, its priority and SLA deadline (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import DecisionMade, Event, ViewsObserved
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.review.config import ReviewConfig
from deepscreen.review.priority import harm_averted_per_minute, priority_inputs

# Keys of a task's payload (a JSON object).
CONTEXT = "context"  # shown to the reviewer
GOLD = "gold"  # a gold item's answer: never shown to the reviewer
PRIORITY_INPUTS = "priority_inputs"
OUTCOME = "outcome"  # written when the task is done


def review_task_id(decision_id: str) -> str:
    """One review task per decision: enqueueing the same decision twice adds nothing."""
    return f"review:{decision_id}"


def route_for_review(
    decision: Decision, config: ReviewConfig, *, views_so_far: int | None, now: datetime
) -> ReviewTask | None:
    """The review task of a decision whose action is ``review`` (None for any other action).

    The queue is the rule's ``queue`` parameter (else ``default_queue``); the SLA clock starts
    at the decision; ``views_so_far`` is None when no views were recorded for the item.
    """
    if decision.action is not Action.REVIEW:
        return None
    queue = decision.action_params.get("queue") or config.default_queue
    inputs = priority_inputs(decision, config.priority, views_so_far=views_so_far)
    return ReviewTask(
        task_id=review_task_id(decision.decision_id),
        item_id=decision.item_id,
        kind=TaskKind.REVIEW,
        queue=queue,
        priority=harm_averted_per_minute(inputs),
        created_at=now,
        due_at=config.sla_due(queue, decision.decided_at),
        decision_id=decision.decision_id,
        payload={CONTEXT: decision_context(decision), PRIORITY_INPUTS: inputs.to_dict()},
    )


def route_as_decided(
    decision: Decision, config: ReviewConfig, events: Iterable[Event]
) -> ReviewTask | None:
    """The review task of ``decision`` as routed when it was made (None for any action but
    ``review``): created, and its SLA clock started, at ``decided_at``, its priority from the
    views recorded before the decision in the item's log ``events``.

    Every path computes the same task: a scan before writing the decision (``events`` then
    end with the new decision's batch), a re-scan or ``db check --repair`` restoring a task a
    crash of an older deepscreen lost, long after."""
    views = views_before(events, decision.decision_id)
    return route_for_review(decision, config, views_so_far=views, now=decision.decided_at)


def decision_context(decision: Decision) -> dict[str, Any]:
    """What a reviewer sees of the decision: the rule, the revision, the action and its
    parameters (the signal values stay in the event log, one lookup away)."""
    return {
        "decision_id": decision.decision_id,
        "policy_revision": decision.policy_revision,
        "rule_id": decision.rule_id,
        "action": decision.action.value,
        "action_params": dict(decision.action_params),
    }


def views_before(events: Iterable[Event], decision_id: str) -> int | None:
    """Views recorded for an item before its decision ``decision_id`` in log order (all of
    them when the decision is not among ``events``); None when none were."""
    windows = []
    for event in events:
        if isinstance(event, DecisionMade) and event.decision.decision_id == decision_id:
            break
        if isinstance(event, ViewsObserved):
            windows.append(event.views)
    return sum(windows) if windows else None


def views_so_far(events: Iterable[Event]) -> int | None:
    """Views recorded for an item (sum of its ``ViewsObserved``); None when none were."""
    windows = [e.views for e in events if isinstance(e, ViewsObserved)]
    return sum(windows) if windows else None
