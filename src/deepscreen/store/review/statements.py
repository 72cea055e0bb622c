"""The SQLAlchemy Core statements of ``SqlReviewQueue``: which tasks are claimable, filters,
and the row-locked read-check-update steps every write runs inside one transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from deepscreen.core.errors import TaskNotFound
from deepscreen.core.tasks import ReviewTask, TaskStatus
from deepscreen.store.review.rows import lease_error, row_task
from deepscreen.store.sql import schema as s

t = s.review_tasks
CLAIM_ORDER = (t.c.priority.desc(), t.c.created_at, t.c.task_id)
"""Highest priority first, then the oldest, then the smallest task id."""


def insert_new_tasks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert task rows (``rows.new_task_row``), skipping a task id already stored;
    returns how many were new. The one way a task row is written: ``SqlReviewQueue.add`` and
    ``SqlEventStore.record_item`` (a routed task in its decision's transaction) both use it."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(t).on_conflict_do_nothing(index_elements=["task_id"]).returning(t.c.task_id)
    return sum(len(conn.execute(statement, dict(row)).all()) for row in rows)


def claimable(reviewer: str, now: datetime) -> Select[Any]:
    """Ids of the tasks ``reviewer`` may claim at ``now``: open, or claimed under an expired
    lease, and not excluding this reviewer."""
    expired = and_(t.c.status == TaskStatus.CLAIMED.value, t.c.lease_expires_at <= now)
    return select(t.c.task_id).where(
        or_(t.c.status == TaskStatus.OPEN.value, expired),
        or_(t.c.exclude_reviewer.is_(None), t.c.exclude_reviewer != reviewer),
    )


def filtered(
    query: Select[Any],
    *,
    queues: list[str] | None = None,
    kinds: list[str] | None = None,
    statuses: list[str] | None = None,
) -> Select[Any]:
    for column, values in ((t.c.queue, queues), (t.c.kind, kinds), (t.c.status, statuses)):
        if values is not None:
            query = query.where(column.in_(values))
    return query


def late(now: datetime) -> ColumnElement[bool]:
    return and_(t.c.status != TaskStatus.DONE.value, t.c.due_at.is_not(None), t.c.due_at < now)


def fetch_task(conn: Connection, query: Select[Any], task_id: str) -> ReviewTask:
    row = conn.execute(query).mappings().first()
    if row is None:
        raise TaskNotFound(f"no review task {task_id!r}")
    return row_task(row)


def locked_task(conn: Connection, task_id: str) -> ReviewTask:
    """The task, row-locked until the transaction ends (PostgreSQL; SQLite holds the database)."""
    return fetch_task(conn, select(t).where(t.c.task_id == task_id).with_for_update(), task_id)


def held_task(
    conn: Connection, task_id: str, reviewer: str, now: datetime, verb: str
) -> ReviewTask:
    """The task, row-locked, if ``reviewer`` holds a valid lease on it (else ``LeaseNotHeld``)."""
    task = locked_task(conn, task_id)
    if not task.held_by(reviewer, now):
        raise lease_error(task, reviewer, now, verb)
    return task


def lease_task(
    conn: Connection, task_id: str, reviewer: str, now: datetime, lease: float
) -> ReviewTask:
    return set_task(
        conn,
        task_id,
        status=TaskStatus.CLAIMED.value,
        claimed_by=reviewer,
        lease_expires_at=now + timedelta(seconds=lease),
        claims=t.c.claims + 1,
    )


def set_task(conn: Connection, task_id: str, **values: Any) -> ReviewTask:
    statement = update(t).where(t.c.task_id == task_id).values(**values).returning(*t.c)
    row = conn.execute(statement).mappings().one()
    return row_task(row)
