"""Review and appeal use cases as the HTTP API calls them: the caller's API key is the
reviewer's identity, and every state change is written to the audit trail."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass

from deepscreen.core.access import Principal
from deepscreen.core.decisions import Action
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.core.tasks import QueueCount, ReviewTask, TaskStatus
from deepscreen.review.assignment import Assignment
from deepscreen.service import appeals, review_queue
from deepscreen.service.hosted import HostedStores, audit_caller
from deepscreen.service.review_queue import Decided
from deepscreen.service.scan import Services

_RNG = random.SystemRandom()  # which claims serve gold items: unpredictable to reviewers
_HELD_PAGE, _HELD_PAGES = 500, 20  # claimed tasks looked through for one's own (10,000)


@dataclass(frozen=True)
class QueueOverview:
    counts: list[QueueCount]
    overdue: list[ReviewTask]


def overview(services: Services, *, limit: int = 100) -> QueueOverview:
    now = services.clock()
    return QueueOverview(
        review_queue.queue_counts(services, now=now),
        review_queue.overdue(services, now=now, limit=limit),
    )


def claim(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    queues: Collection[str] | None,
) -> Assignment | None:
    assignment = review_queue.claim_next(
        services, principal.key_id, now=services.clock(), rng=_RNG, queues=queues or None
    )
    if assignment is not None:
        audit_caller(services, stores, principal, "review.claim", assignment.task_id)
    return assignment


def renew(services: Services, *, principal: Principal, task_id: str) -> Assignment:
    return review_queue.renew(services, task_id, principal.key_id, now=services.clock())


def release(
    services: Services, stores: HostedStores, *, principal: Principal, task_id: str
) -> None:
    review_queue.release(services, task_id, principal.key_id, now=services.clock())
    audit_caller(services, stores, principal, "review.release", task_id)


def decide(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    task_id: str,
    verdict: Verdict,
    reason_code: str,
    label: str = "",
    action: Action | None = None,
) -> Decided:
    decided = review_queue.decide(
        services,
        task_id,
        principal.key_id,
        verdict=verdict,
        reason_code=reason_code,
        now=services.clock(),
        label=label,
        action=action,
    )
    details = {"verdict": verdict.value, "reason_code": reason_code, "label": label}
    if decided.review is not None and decided.review.action is not None:
        details["action"] = decided.review.action.value
    audit_caller(services, stores, principal, "review.decide", task_id, details)
    return decided


def held_task(services: Services, *, principal: Principal) -> ReviewTask | None:
    """The task ``principal`` holds under an unexpired lease (the latest-expiring one, should
    they hold several), or None: signing in again returns a reviewer to it."""
    queue, _ = review_queue.configured(services)
    now = services.clock()
    held: list[ReviewTask] = []
    for page in range(_HELD_PAGES):
        tasks = queue.list_tasks(
            statuses=[TaskStatus.CLAIMED], limit=_HELD_PAGE, offset=page * _HELD_PAGE
        )
        held += [t for t in tasks if t.held_by(principal.key_id, now)]
        if len(tasks) < _HELD_PAGE:
            break
    return max(held, key=lambda t: (t.lease_expires_at or now, t.task_id), default=None)


def open_appeal(
    services: Services, stores: HostedStores, *, principal: Principal, item_id: str, statement: str
) -> ReviewTask:
    task = appeals.open_appeal(services, item_id, statement, now=services.clock())
    audit_caller(services, stores, principal, "appeal.open", item_id, {"task_id": task.task_id})
    return task


def resolve_appeal(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    task_id: str,
    outcome: AppealOutcome,
    reason_code: str,
) -> appeals.AppealResolution:
    resolution = appeals.resolve_appeal(
        services,
        task_id,
        principal.key_id,
        outcome=outcome,
        reason_code=reason_code,
        now=services.clock(),
    )
    details = {"outcome": outcome.value, "reason_code": reason_code}
    audit_caller(services, stores, principal, "appeal.resolve", task_id, details)
    appeals.audit_unbanking(
        stores.audit,
        resolution.unbanked,
        actor=principal.key_id,
        item_id=resolution.task.item_id,
        task_id=task_id,
        clock=services.clock,
    )
    return resolution
