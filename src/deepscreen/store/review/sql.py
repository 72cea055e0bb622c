"""``SqlReviewQueue``: the review queue on SQLite or PostgreSQL, beside the event log; a claim is
one transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Unpack

from sqlalchemy import Connection, case, func, select

from deepscreen.core.tasks import QueueCount, ReviewTask, TaskStatus
from deepscreen.store.review import ports
from deepscreen.store.review.rows import (
    NOT_AWARE,
    STATUS_ORDER,
    check_lease,
    check_reviewer,
    done_payload,
    new_task_row,
    not_claimable,
    row_task,
)
from deepscreen.store.review.statements import (
    CLAIM_ORDER,
    claimable,
    fetch_task,
    filtered,
    held_task,
    insert_new_tasks,
    late,
    lease_task,
    locked_task,
    set_task,
    t,
)
from deepscreen.store.sql.database import SqlStore
from deepscreen.store.times import require_aware_datetime


class SqlReviewQueue(SqlStore):
    """The ``ReviewQueueStore`` over SQLAlchemy Core; every method is one transaction.

    ``database`` and ``schema`` are as for ``SqlEventStore``, but given the ``SqlDatabase`` of
    other stores the queue opens an engine of its own on it: its SQLite transactions begin
    explicitly (``SqlDatabase(explicit_begin=True)``), the other stores' do not.
    """

    kind = "review queue"
    explicit_begin = True

    def add(self, tasks: Sequence[ReviewTask]) -> int:
        rows = [new_task_row(task) for task in tasks]
        if not rows:
            return 0
        with self._write() as conn:
            return insert_new_tasks(conn, rows)

    def claim_next(self, reviewer: str, **claim: Unpack[ports.ClaimQuery]) -> ReviewTask | None:
        c = ports.Claim.of(reviewer, **claim)
        query = claimable(reviewer, c.now).order_by(*CLAIM_ORDER).limit(1)
        query = filtered(query, queues=c.queues, kinds=c.kinds)
        with self._write() as conn:
            row = conn.execute(query.with_for_update(skip_locked=True)).mappings().first()
            if row is None:
                return None
            return lease_task(conn, row["task_id"], reviewer, c.now, c.lease_seconds)

    def claim(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        check_reviewer(reviewer)
        now, lease = require_aware_datetime(now, "now", NOT_AWARE), check_lease(lease_seconds)
        with self._write() as conn:
            task = locked_task(conn, task_id)
            if not task.claimable_by(reviewer, now):
                raise not_claimable(task, reviewer, now)
            return lease_task(conn, task_id, reviewer, now, lease)

    def renew(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        now, lease = require_aware_datetime(now, "now", NOT_AWARE), check_lease(lease_seconds)
        with self._write() as conn:
            held_task(conn, task_id, reviewer, now, "renew")
            return set_task(conn, task_id, lease_expires_at=now + timedelta(seconds=lease))

    def release(self, task_id: str, reviewer: str, *, now: datetime) -> ReviewTask:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        with self._write() as conn:
            held_task(conn, task_id, reviewer, now, "release")
            open_ = TaskStatus.OPEN.value
            return set_task(conn, task_id, status=open_, claimed_by=None, lease_expires_at=None)

    def complete(
        self, task_id: str, reviewer: str, *, now: datetime, outcome: Mapping[str, Any]
    ) -> ReviewTask:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        with self._write() as conn:
            task = held_task(conn, task_id, reviewer, now, "complete")
            return set_task(
                conn,
                task_id,
                status=TaskStatus.DONE.value,
                completed_at=now,
                completed_by=reviewer,
                payload=done_payload(task.payload, outcome, task_id),
            )

    def get(self, task_id: str) -> ReviewTask:
        with self._read() as conn:
            return fetch_task(conn, select(t).where(t.c.task_id == task_id), task_id)

    def list_tasks(self, **query: Unpack[ports.TaskQuery]) -> list[ReviewTask]:
        f = ports.TaskFilter.of(**query)
        chosen = filtered(select(t), queues=f.queues, kinds=f.kinds, statuses=f.statuses)
        if f.item_id is not None:
            chosen = chosen.where(t.c.item_id == f.item_id)
        if f.completed_by is not None:
            chosen = chosen.where(t.c.completed_by == f.completed_by)
        with self._read() as conn:
            rows = conn.execute(chosen.order_by(*CLAIM_ORDER).limit(f.limit).offset(f.offset))
            return [row_task(r) for r in rows.mappings()]

    def overdue(self, **page: Unpack[ports.OverdueQuery]) -> list[ReviewTask]:
        q = ports.OverduePage.of(**page)
        query = filtered(select(t).where(late(q.now)), queues=q.queues)
        query = query.order_by(t.c.due_at, t.c.task_id).limit(q.limit).offset(q.offset)
        with self._read() as conn:
            return [row_task(r) for r in conn.execute(query).mappings()]

    def counts(self, *, now: datetime) -> list[QueueCount]:
        now = require_aware_datetime(now, "now", NOT_AWARE)
        overdue = func.sum(case((late(now), 1), else_=0))
        query = select(t.c.queue, t.c.status, func.count(), overdue).group_by(t.c.queue, t.c.status)
        with self._read() as conn:
            rows = [(q, TaskStatus(st), int(n), int(o or 0)) for q, st, n, o in conn.execute(query)]
        rows.sort(key=lambda r: (r[0], STATUS_ORDER[r[1]]))
        return [QueueCount(*row) for row in rows]

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self._errors(), self._db.transaction() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._errors(), self._db.connection() as conn:
            yield conn
