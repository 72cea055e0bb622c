"""What the queue and appeals pages show, built from service calls only: counts and SLA per
queue, the overdue tasks, and the waiting tasks as rows (category, thumbnail, age, SLA state).
Plain values for the templates; no HTML here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from deepscreen.api.web.formatting import duration
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.service.media_thumbnail import (
    has_retained_copy,
    item_attributes,
    may_see_thumbnail,
)
from deepscreen.service.media_wellness import WellnessPrefs, filters_for
from deepscreen.service.review_queue import configured, overdue, pseudonym, queue_counts
from deepscreen.service.scan import Services

OVERDUE_SHOWN = 50
ROWS_SHOWN = 25  # waiting tasks listed, in claim order
DUE_SOON_SHARE = 0.25  # "due soon" in the last quarter of a task's SLA window
CATEGORY = "category"  # the item attribute shown as a row's category


@dataclass(frozen=True)
class QueueRow:
    queue: str
    open: int
    claimed: int
    done: int
    overdue: int
    sla_hours: float
    sla_note: str = ""  # instead of the queue's SLA, when each task carries its own deadline


@dataclass(frozen=True)
class QueueOverview:
    rows: list[QueueRow]
    overdue: list[ReviewTask]
    claimed_by: Mapping[str, str]  # task id → pseudonym of whoever holds it


def queue_overview(
    services: Services,
    now: datetime,
    *,
    appeals: bool,
    sla_notes: Mapping[str, str] | None = None,
) -> QueueOverview:
    """The appeals queue (``appeals``) or the review queues: counts, SLA, overdue tasks.
    ``sla_notes``: queues whose tasks carry their own deadline (takedowns), and how."""
    _, config = configured(services)

    def wanted(queue: str) -> bool:
        # Never the gold queue: a count moving there would tell a reviewer their task is gold.
        return queue == config.appeals_queue if appeals else queue not in hidden

    hidden = {config.appeals_queue, config.gold_queue}
    by_queue: dict[str, dict[TaskStatus, tuple[int, int]]] = {}
    for count in queue_counts(services, now=now):
        if wanted(count.queue):
            by_queue.setdefault(count.queue, {})[count.status] = (count.tasks, count.overdue)
    rows = [
        QueueRow(
            queue=name,
            open=statuses.get(TaskStatus.OPEN, (0, 0))[0],
            claimed=statuses.get(TaskStatus.CLAIMED, (0, 0))[0],
            done=statuses.get(TaskStatus.DONE, (0, 0))[0],
            overdue=sum(o for s, (_, o) in statuses.items() if s is not TaskStatus.DONE),
            sla_hours=config.sla_hours_by_queue.get(name, config.default_sla_hours),
            sla_note=(sla_notes or {}).get(name, ""),
        )
        for name, statuses in sorted(by_queue.items())
    ]
    names = [r.queue for r in rows]
    late = overdue(services, now=now, queues=names, limit=OVERDUE_SHOWN) if names else []
    holders = {t.task_id: pseudonym(services, t.claimed_by) for t in late if t.claimed_by}
    return QueueOverview(rows, late, holders)


def review_queue_names(services: Services, now: datetime) -> list[str]:
    """The queues "Claim next" draws from on the queue page: all but appeals and gold."""
    return [r.queue for r in queue_overview(services, now, appeals=False).rows]


@dataclass(frozen=True)
class SlaState:
    """``state``: ok, due_soon, overdue or none (no deadline); ``text`` says it for people."""

    state: str
    text: str


def sla_state(task: ReviewTask, now: datetime) -> SlaState:
    """Overdue (and by how long), due soon (the last quarter of its window), or ok."""
    if task.due_at is None:
        return SlaState("none", "no deadline")
    left = task.due_at - now
    if left < timedelta(0):
        return SlaState("overdue", f"overdue by {duration(-left)}")
    window = task.due_at - task.created_at
    if window > timedelta(0) and left <= window * DUE_SOON_SHARE:
        return SlaState("due_soon", f"due soon: in {duration(left)}")
    return SlaState("ok", f"ok: due in {duration(left)}")


@dataclass(frozen=True)
class TaskRow:
    """One waiting task as a queue page lists it. ``thumbnail``: a retained copy exists and
    the reviewer may see it (holds or may claim the task); ``filtered``: how its thumbnail is
    drawn for them ("blurred, greyscale"; empty: unfiltered); ``held``: "you", "another
    reviewer" or "" (waiting); ``yours_to_judge`` False for an appeal of an item they reviewed."""

    task_id: str
    item_id: str
    queue: str
    category: str | None
    created_at: datetime
    age: timedelta
    due_at: datetime | None
    sla: SlaState
    thumbnail: bool
    filtered: str
    held: str
    yours_to_judge: bool


def waiting_rows(
    services: Services,
    now: datetime,
    *,
    queues: Collection[str],
    reviewer: str,
    prefs: WellnessPrefs,
    limit: int = ROWS_SHOWN,
) -> list[TaskRow]:
    """The first ``limit`` tasks not done of ``queues``, in claim order (none for no queue)."""
    if not queues:
        return []
    store, _ = configured(services)
    tasks = store.list_tasks(
        queues=list(queues), statuses=[TaskStatus.OPEN, TaskStatus.CLAIMED], limit=limit
    )
    return [_row(services, t, now, reviewer, prefs) for t in tasks if t.kind is not TaskKind.GOLD]


def _row(
    services: Services, task: ReviewTask, now: datetime, reviewer: str, prefs: WellnessPrefs
) -> TaskRow:
    attributes = item_attributes(services, task.item_id)
    filters = filters_for(services.media.wellness, prefs, attributes)
    visible = may_see_thumbnail(task, reviewer, now)
    if task.held_by(reviewer, now):
        held = "you"
    elif task.lease_valid(now):
        held = "another reviewer"
    else:
        held = ""
    category = attributes.get(CATEGORY)
    return TaskRow(
        task_id=task.task_id,
        item_id=task.item_id,
        queue=task.queue,
        category=None if category is None else str(category),
        created_at=task.created_at,
        age=max(timedelta(0), now - task.created_at),
        due_at=task.due_at,
        sla=sla_state(task, now),
        thumbnail=visible and has_retained_copy(services, task.item_id),
        filtered=", ".join(
            name for name, on in (("blurred", filters.blur), ("greyscale", filters.greyscale)) if on
        ),
        held=held,
        yours_to_judge=task.exclude_reviewer != reviewer,
    )
