"""Appeal use cases: open an appeal against an item's enforcing decision, resolve it
(``AppealResolved``; a ``reversed`` one also records ``ItemRestored`` and takes the item's
hashes out of the block banks, ``service.review.unbank_item``). Every use case takes ``now``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.banks import BankRemoval
from deepscreen.core.clock import Clock
from deepscreen.core.errors import InvalidInput, NothingToAppeal
from deepscreen.core.events import AppealOutcome, Event, ItemRestored
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.appeals import LABEL_IMPORT_PREFIX as LABEL_IMPORT_PREFIX
from deepscreen.review.appeals import (
    appeal_task,
    appeal_task_id,
    last_reviewer,
    latest_enforcement,
    resolution_events,
)
from deepscreen.review.routing import OUTCOME, views_so_far
from deepscreen.service.audit import record_action
from deepscreen.service.media import RESTORED, forget
from deepscreen.service.review import unbank_item
from deepscreen.service.review_queue import check_reason, configured, parse_choice
from deepscreen.service.scan import Services
from deepscreen.store.access.ports import AuditLog

MAX_STATEMENT_CHARS = 5000


@dataclass(frozen=True)
class AppealResolution:
    """The done task, the events recorded, and the bank entries a reversal took out."""

    task: ReviewTask
    events: list[Event]
    unbanked: tuple[BankRemoval, ...] = ()

    @property
    def restored(self) -> bool:
        return any(isinstance(e, ItemRestored) for e in self.events)


def open_appeal(services: Services, item_id: str, statement: str, *, now: datetime) -> ReviewTask:
    """Queue an appeal against the item's latest enforcing decision, received at ``now``.

    The task may not be claimed by whoever last reviewed the item. One appeal per enforcing
    decision: appealing again returns the task already opened (whatever its status).
    ``NothingToAppeal`` when the item is unknown, was never enforced or was restored.
    """
    queue, config = configured(services)
    if len(statement) > MAX_STATEMENT_CHARS:
        raise InvalidInput(
            f"an appeal statement holds at most {MAX_STATEMENT_CHARS} characters, "
            f"got {len(statement)}"
        )
    events = services.store.for_item(item_id)
    if not events:
        raise NothingToAppeal(f"no scanned item {item_id!r} in this store")
    enforcement = latest_enforcement(events)
    if enforcement is None:
        raise NothingToAppeal(
            f"item {item_id!r} has no enforcing decision in force (allowed, still awaiting "
            "review, or restored): there is nothing to appeal"
        )
    task = appeal_task(
        enforcement,
        statement=statement,
        exclude_reviewer=last_reviewer(events),
        config=config,
        views_so_far=views_so_far(events),
        now=now,
    )
    queue.add([task])
    return queue.get(appeal_task_id(enforcement.decision.decision_id))


def resolve_appeal(
    services: Services,
    task_id: str,
    reviewer: str,
    *,
    outcome: AppealOutcome,
    reason_code: str,
    now: datetime,
) -> AppealResolution:
    """Resolve an appeal task the reviewer holds: complete it, then append ``AppealResolved``
    (and ``ItemRestored`` for ``reversed``) in one batch, then, for ``reversed``, unbank the
    item (its entries leave the block banks, recorded as removed by ``reviewer`` with the
    appeal as the reason). As for reviews, completing first means an appeal is never resolved
    twice; the outcome is also kept in the task. Should the process stop between the writes,
    ``retry_unbanking`` finishes a reversal from the task alone. A reversal also deletes the
    item's retained media (``service.media.forget``; ``deepscreen media purge`` if that fails)."""
    queue, config = configured(services)
    check_reason(config, reason_code)
    outcome = parse_choice(AppealOutcome, outcome, "outcome")
    task = queue.get(task_id)
    if task.kind is not TaskKind.APPEAL:
        raise InvalidInput(f"task {task_id!r} is a {task.kind.value} task, not an appeal")
    events = resolution_events(task, outcome, now)
    record = {"outcome": outcome.value, "reason_code": reason_code, "restored": len(events) > 1}
    done = queue.complete(task_id, reviewer, now=now, outcome=record)
    services.store.append(events)
    unbanked: list[BankRemoval] = []
    if outcome is AppealOutcome.REVERSED:
        reason = unbanking_reason(task_id, reason_code)
        unbanked = unbank_item(services, task.item_id, removed_by=reviewer, reason=reason, now=now)
        forget(services.media, task.item_id, now=now, reason=RESTORED)  # `media purge` retries
    return AppealResolution(done, events, tuple(unbanked))


def unbanking_reason(task_id: str, reason_code: str) -> str:
    """Why entries left their bank, as the removal and the audit trail record it."""
    return f"appeal {task_id} reversed ({reason_code})"


def retry_unbanking(services: Services, task_id: str, *, now: datetime) -> list[BankRemoval]:
    """Unbank the item of an appeal already resolved ``reversed`` (idempotent: nothing is
    left once done) — for a resolution whose process stopped before its unbanking."""
    queue, _ = configured(services)
    task = queue.get(task_id)
    resolved = task.payload.get(OUTCOME) if task.status is TaskStatus.DONE else None
    if task.kind is not TaskKind.APPEAL or not isinstance(resolved, Mapping):
        raise InvalidInput(f"task {task_id!r} is not a resolved appeal")
    if resolved.get("outcome") != AppealOutcome.REVERSED.value:
        raise InvalidInput(
            f"appeal {task_id!r} was resolved {resolved.get('outcome')!r}, not reversed: "
            "its item stays banked"
        )
    reason = unbanking_reason(task_id, str(resolved.get("reason_code", "")))
    by = task.completed_by or "unknown"
    return unbank_item(services, task.item_id, removed_by=by, reason=reason, now=now)


def audit_unbanking(
    audit: AuditLog,
    removed: Sequence[BankRemoval],
    *,
    actor: str,
    item_id: str,
    task_id: str,
    clock: Clock,
) -> None:
    """One ``bank.unbank`` entry in the audit trail for the entries an appeal took out."""
    if not removed:
        return
    record_action(
        audit,
        actor=actor,
        action="bank.unbank",
        target=item_id,
        clock=clock,
        details={
            "task_id": task_id,
            "banks": sorted({r.entry.bank for r in removed}),
            "hashes": [r.entry.hash_hex for r in removed],
            "reason": removed[0].reason,
        },
    )
