"""Notice and action: an outside report of an item is recorded (``NoticeReceived``) and the item
queued for a person to judge in the ``notices`` queue, one review per item, unless its routed
review is still waiting (docs/internals/service.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import NotFound, TaskNotFound
from deepscreen.core.events import DecisionMade, NoticeReceived, Notifier
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.config import ReviewConfig
from deepscreen.review.priority import harm_averted_per_minute, priority_inputs
from deepscreen.review.routing import (
    CONTEXT,
    PRIORITY_INPUTS,
    decision_context,
    review_task_id,
    views_so_far,
)
from deepscreen.service.review_queue import configured
from deepscreen.service.scan import Services
from deepscreen.store.review.ports import ReviewQueueStore

NOTICES_QUEUE = "notices"


@dataclass(frozen=True)
class NoticeOutcome:
    """The recorded notice and the review task it added (None: the item's routed review is
    still waiting, or a notice review of the item was queued before)."""

    notice: NoticeReceived
    task: ReviewTask | None


def notice_task_id(item_id: str) -> str:
    return f"notice:{item_id}"


def receive_notice(
    services: Services, item_id: str, *, at: datetime, notifier: Notifier = Notifier.USER
) -> NoticeOutcome:
    """Record a notice against a decided item at ``at`` and queue the item for review.

    ``NotFound`` when no decision was recorded for the item. Not one transaction: if queueing
    fails after the notice was stored, receiving the notice again adds the task (and records
    the notice a second time)."""
    queue, config = configured(services)
    events = services.store.for_item(item_id)
    decision = next((e.decision for e in events if isinstance(e, DecisionMade)), None)
    if decision is None:
        raise NotFound(f"no decision recorded for item {item_id!r}: scan it first")
    notice = NoticeReceived(item_id=item_id, occurred_at=at, notifier=notifier)
    services.store.append([notice])
    if _review_waiting(queue, decision):
        return NoticeOutcome(notice, None)
    task = notice_task(decision, config, notice, views=views_so_far(events))
    return NoticeOutcome(notice, task if queue.add([task]) else None)


def notice_task(
    decision: Decision, config: ReviewConfig, notice: NoticeReceived, *, views: int | None
) -> ReviewTask:
    """The review task a notice opens (pure): created and due (``notices`` queue SLA) from
    the notice, ranked by ``p × severity × views so far ÷ handling minutes``."""
    inputs = priority_inputs(decision, config.priority, views_so_far=views)
    context = {
        **decision_context(decision),
        "notice": {
            "notifier": notice.notifier.value,
            "received_at": notice.occurred_at.isoformat(),
        },
    }
    return ReviewTask(
        task_id=notice_task_id(decision.item_id),
        item_id=decision.item_id,
        kind=TaskKind.REVIEW,
        queue=NOTICES_QUEUE,
        priority=harm_averted_per_minute(inputs),
        created_at=notice.occurred_at,
        due_at=config.sla_due(NOTICES_QUEUE, notice.occurred_at),
        decision_id=decision.decision_id,
        payload={CONTEXT: context, PRIORITY_INPUTS: inputs.to_dict()},
    )


def _review_waiting(queue: ReviewQueueStore, decision: Decision) -> bool:
    """The decision's routed review task exists and is not done."""
    try:
        return queue.get(review_task_id(decision.decision_id)).status is not TaskStatus.DONE
    except TaskNotFound:
        return False
