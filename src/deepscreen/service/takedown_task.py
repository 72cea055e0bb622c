"""The takedown-queue task a matched notice opens: its id, its priority above every review
task, its payload; and reading it back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import TaskNotFound
from deepscreen.core.events import NoticeReceived
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.review.routing import CONTEXT, decision_context
from deepscreen.service.scan import Services
from deepscreen.service.takedown_config import TakedownConfig
from deepscreen.service.takedown_resolve import TAKEDOWN

TAKEDOWN_PRIORITY_BASE = 1e15
"""Takedown tasks rank above every review task: priority = 10¹⁵ − the deadline in seconds
since 1970 (about 9.98 × 10¹⁴: earlier deadlines first), while a review task's priority is
``p × severity × views ÷ handling minutes`` — 10¹⁴ would need e.g. 10¹³ views."""


def takedown_task_id(notice_id: str) -> str:
    """One task per notice: the same notice again adds nothing."""
    return f"takedown:{notice_id}"


def takedown_priority(deadline_at: datetime) -> float:
    """Above every review task; among takedowns, the earliest deadline first."""
    return TAKEDOWN_PRIORITY_BASE - deadline_at.timestamp()


def takedown_task(services: Services, config: TakedownConfig, notice: NoticeReceived) -> ReviewTask:
    """The task a matched notice opens: created at receipt, due at the deadline, ranked above
    ordinary review; the reviewer sees the decision in force, the notice's type, deadline,
    reference and statement (never the requester's contact)."""
    assert notice.notice_id is not None and notice.notice_type is not None
    assert notice.deadline_at is not None
    decision = services.store.latest_decision(notice.item_id)
    takedown = {
        "notice_id": notice.notice_id,
        "notice_type": notice.notice_type.value,
        "notifier": notice.notifier.value,
        "received_at": notice.occurred_at.isoformat(),
        "deadline_at": notice.deadline_at.isoformat(),
        "reference": notice.reference,
        "good_faith": notice.good_faith,
    }
    context = {
        **(_context(decision) if decision is not None else {}),
        "takedown": takedown,
        "statement": notice.statement,
    }
    resolution = {
        **takedown,
        "bank": config.bank,
        "bank_threshold": config.bank_threshold,
        "sweep_on_resolve": config.sweep_on_resolve,
    }
    return ReviewTask(
        task_id=takedown_task_id(notice.notice_id),
        item_id=notice.item_id,
        kind=TaskKind.REVIEW,
        queue=config.queue,
        priority=takedown_priority(notice.deadline_at),
        created_at=notice.occurred_at,
        due_at=notice.deadline_at,
        decision_id=None if decision is None else decision.decision_id,
        payload={CONTEXT: context, TAKEDOWN: resolution},
    )


def _context(decision: Decision) -> dict[str, Any]:
    return decision_context(decision)


def _task_of(services: Services, notice_id: str | None) -> ReviewTask | None:
    if services.review_queue is None or notice_id is None:
        return None
    try:
        return services.review_queue.get(takedown_task_id(notice_id))
    except TaskNotFound:  # an unmatched notice has none
        return None
