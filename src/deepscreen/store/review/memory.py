"""``InMemoryReviewQueue``: a full, thread-safe fake of the ``ReviewQueueStore`` contract."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Unpack

from deepscreen.core.errors import TaskNotFound
from deepscreen.core.tasks import QueueCount, ReviewTask, TaskStatus
from deepscreen.store.memory import InMemoryStore
from deepscreen.store.review import ports
from deepscreen.store.review.rows import (
    NOT_AWARE,
    STATUS_ORDER,
    check_lease,
    check_reviewer,
    claim_order,
    done_payload,
    lease_error,
    new_task_row,
    not_claimable,
    row_task,
)
from deepscreen.store.times import require_aware_datetime

_replace = dataclasses.replace


class InMemoryReviewQueue(InMemoryStore):
    """Tasks in a dict behind one lock: every call is atomic, so no claim can race another.

    Tasks pass the same checks and JSON round trip as in ``SqlReviewQueue``.
    """

    closed_message = "in-memory review queue is closed"

    def __init__(self) -> None:
        super().__init__()
        self._tasks: dict[str, ReviewTask] = {}

    def __repr__(self) -> str:
        return f"InMemoryReviewQueue({len(self._tasks)} tasks)"

    def add(self, tasks: Sequence[ReviewTask]) -> int:
        stored = [row_task(new_task_row(t)) for t in tasks]
        with self._open():
            return self._put(stored)

    @contextmanager
    def holding(self) -> Iterator[Callable[[Sequence[ReviewTask]], int]]:
        """Hold the queue's lock and give the function that adds checked tasks (as ``add``
        stores them: ``row_task(new_task_row(task))``) under it. ``InMemoryEventStore``
        writes an item's events and its routed tasks inside this: the in-memory twin of the
        one transaction of ``SqlEventStore.record_item``."""
        with self._open():
            yield self._put

    def claim_next(self, reviewer: str, **claim: Unpack[ports.ClaimQuery]) -> ReviewTask | None:
        c = ports.Claim.of(reviewer, **claim)
        with self._open():
            candidates = [
                t
                for t in self._tasks.values()
                if t.claimable_by(reviewer, c.now)
                and (c.queues is None or t.queue in c.queues)
                and (c.kinds is None or t.kind.value in c.kinds)
            ]
            if not candidates:
                return None
            return self._claimed(min(candidates, key=claim_order), reviewer, c.now, c.lease_seconds)

    def claim(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        check_reviewer(reviewer)
        now, lease = require_aware_datetime(now, "now", NOT_AWARE), check_lease(lease_seconds)
        with self._open():
            task = self._get(task_id)
            if not task.claimable_by(reviewer, now):
                raise not_claimable(task, reviewer, now)
            return self._claimed(task, reviewer, now, lease)

    def renew(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        now, lease = require_aware_datetime(now, "now", NOT_AWARE), check_lease(lease_seconds)
        until = now + timedelta(seconds=lease)
        return self._update_held(task_id, reviewer, now, "renew", lease_expires_at=until)

    def release(self, task_id: str, reviewer: str, *, now: datetime) -> ReviewTask:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        return self._update_held(
            task_id,
            reviewer,
            now,
            "release",
            status=TaskStatus.OPEN,
            claimed_by=None,
            lease_expires_at=None,
        )

    def complete(
        self, task_id: str, reviewer: str, *, now: datetime, outcome: Mapping[str, Any]
    ) -> ReviewTask:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        with self._open():
            task = self._get(task_id)
            if not task.held_by(reviewer, now):
                raise lease_error(task, reviewer, now, "complete")
            payload = json.loads(done_payload(task.payload, outcome, task_id))
            done = _replace(
                task,
                status=TaskStatus.DONE,
                completed_at=now,
                completed_by=reviewer,
                payload=payload,
            )
            self._tasks[task_id] = done
            return done

    def get(self, task_id: str) -> ReviewTask:
        with self._open():
            return self._get(task_id)

    def list_tasks(self, **query: Unpack[ports.TaskQuery]) -> list[ReviewTask]:
        f = ports.TaskFilter.of(**query)
        wanted = {"queue": f.queues, "status": f.statuses, "kind": f.kinds}
        with self._open():
            found = [
                t
                for t in self._tasks.values()
                if all(v is None or str(getattr(t, k)) in v for k, v in wanted.items())
                and (f.item_id is None or t.item_id == f.item_id)
                and (f.completed_by is None or t.completed_by == f.completed_by)
            ]
        return sorted(found, key=claim_order)[f.offset : f.offset + f.limit]

    def overdue(self, **page: Unpack[ports.OverdueQuery]) -> list[ReviewTask]:
        q = ports.OverduePage.of(**page)
        with self._open():
            late = [
                t
                for t in self._tasks.values()
                if t.overdue(q.now) and (q.queues is None or t.queue in q.queues)
            ]
        late.sort(key=lambda t: (t.due_at, t.task_id))
        return late[q.offset : q.offset + q.limit]

    def counts(self, *, now: datetime) -> list[QueueCount]:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        tally: dict[tuple[str, TaskStatus], list[int]] = {}
        with self._open():
            for t in self._tasks.values():
                entry = tally.setdefault((t.queue, t.status), [0, 0])
                entry[0] += 1
                entry[1] += t.overdue(now)
        keys = sorted(tally, key=lambda k: (k[0], STATUS_ORDER[k[1]]))
        return [QueueCount(q, s, *tally[q, s]) for q, s in keys]

    def _claimed(self, task: ReviewTask, reviewer: str, now: datetime, lease: float) -> ReviewTask:
        claimed = _replace(
            task,
            status=TaskStatus.CLAIMED,
            claimed_by=reviewer,
            lease_expires_at=now + timedelta(seconds=lease),
            claims=task.claims + 1,
        )
        self._tasks[task.task_id] = claimed
        return claimed

    def _update_held(
        self,
        task_id: str,
        reviewer: str,
        now: datetime,
        verb: str,
        **changes: Any,
    ) -> ReviewTask:
        with self._open():
            task = self._get(task_id)
            if not task.held_by(reviewer, now):
                raise lease_error(task, reviewer, now, verb)
            updated = _replace(task, **changes)
            self._tasks[task_id] = updated
            return updated

    def _put(self, stored: Sequence[ReviewTask]) -> int:
        """Add checked tasks, leaving an id already stored as it is; hold the lock."""
        new = {t.task_id: t for t in reversed(stored) if t.task_id not in self._tasks}
        self._tasks.update(new)
        return len(new)

    def _get(self, task_id: str) -> ReviewTask:
        try:
            return self._tasks[task_id]
        except KeyError:
            raise TaskNotFound(f"no review task {task_id!r}") from None

    @contextmanager
    def _open(self) -> Iterator[None]:
        with self._lock:
            self._check_open()
            yield
