"""Put a decision routed to review into the review queue (called by the scan use case, apart from
``service.review_queue`` to avoid an import cycle): the task is written with the decision in one
transaction (``routed_tasks``); ``restore_task`` adds a task an older crash lost."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import TaskNotFound
from deepscreen.core.events import DecisionMade, Event
from deepscreen.core.tasks import ReviewTask
from deepscreen.review.config import ReviewConfig
from deepscreen.review.routing import (
    review_task_id,
    route_as_decided,
    route_for_review,
    views_so_far,
)
from deepscreen.store.events.ports import EventStore
from deepscreen.store.review.ports import ReviewQueueStore


def enqueue_routed(
    queue: ReviewQueueStore,
    config: ReviewConfig,
    store: EventStore,
    decision: Decision,
    *,
    now: datetime,
) -> ReviewTask | None:
    """Add the review task of a ``review`` decision (None for other actions) and return it.

    Idempotent: the task id derives from the decision id, so a second call adds nothing and
    returns the task as routed now (the stored one keeps its first priority)."""
    if decision.action is not Action.REVIEW:
        return None
    views = views_so_far(store.for_item(decision.item_id))
    task = route_for_review(decision, config, views_so_far=views, now=now)
    assert task is not None, "a review decision always routes to a task"
    queue.add([task])
    return task


def routed_tasks(
    config: ReviewConfig, store: EventStore, events: Sequence[Event]
) -> tuple[ReviewTask, ...]:
    """The review tasks to record with a new item's ``events`` (``EventStore.record_item``'s
    ``tasks``): its decision's task when the decision goes to review, else none.

    Only a ``review`` decision costs a read: the item's stored events, whose views (recorded
    before the item was ingested) count towards the priority as they did when the task was
    enqueued after the write."""
    decision = next((e.decision for e in events if isinstance(e, DecisionMade)), None)
    if decision is None or decision.action is not Action.REVIEW:
        return ()
    task = route_as_decided(decision, config, [*store.for_item(decision.item_id), *events])
    return () if task is None else (task,)


def restore_task(
    queue: ReviewQueueStore,
    config: ReviewConfig,
    decision: Decision,
    events: Sequence[Event],
) -> ReviewTask | None:
    """Add the task of a stored ``review`` decision that has none (a crash between the two
    writes of an older deepscreen), routed as decided from the item's stored ``events``.

    Returns the task added; None when the decision is not ``review``, or already has its task
    (looked up first: a re-scan of a healthy item reads, it does not write). Idempotent: the
    task id derives from the decision id."""
    if decision.action is not Action.REVIEW:
        return None
    try:
        queue.get(review_task_id(decision.decision_id))
        return None
    except TaskNotFound:
        pass
    task = route_as_decided(decision, config, events)
    assert task is not None, "a review decision always routes to a task"
    return task if queue.add([task]) else None
