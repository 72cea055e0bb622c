"""Appeal use cases: open an appeal against an item's enforcing decision, resolve it.

A resolution is recorded as ``AppealResolved`` (the impact tables count overturns from it);
a ``reversed`` outcome also records ``ItemRestored``. Every use case takes ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.errors import InvalidInput, NothingToAppeal
from deepscreen.core.events import AppealOutcome, Event, ItemRestored
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.review.appeals import (
    appeal_task,
    appeal_task_id,
    last_reviewer,
    latest_enforcement,
    resolution_events,
)
from deepscreen.review.routing import views_so_far
from deepscreen.service.review_queue import check_reason, configured, parse_choice
from deepscreen.service.scan import Services

MAX_STATEMENT_CHARS = 5000


@dataclass(frozen=True)
class AppealResolution:
    task: ReviewTask
    events: list[Event]

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
    (and ``ItemRestored`` for ``reversed``) in one batch. As for reviews, completing first
    means an appeal is never resolved twice; the outcome is also kept in the task."""
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
    return AppealResolution(done, events)
