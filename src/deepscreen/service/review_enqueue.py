"""Put a decision routed to review into the review queue (called by the scan use case).

Kept apart from ``service.review_queue`` so that ``service.scan`` can call it without an
import cycle: it takes its collaborators, not ``Services``.
"""

from __future__ import annotations

from datetime import datetime

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.tasks import ReviewTask
from deepscreen.review.config import ReviewConfig
from deepscreen.review.routing import route_for_review, views_so_far
from deepscreen.store.ports import EventStore
from deepscreen.store.review_ports import ReviewQueueStore


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
