"""``SqlReviewQueue``: the review queue on SQLite or PostgreSQL, beside the event log.

A claim is one transaction that selects the best claimable task and leases it. On PostgreSQL
the select is ``FOR UPDATE SKIP LOCKED``: concurrent claimers lock different rows and never
wait on each other. SQLite has no row locks, so every write transaction starts with
``BEGIN IMMEDIATE``, taking the database's write lock before the select: two claims cannot
read the same candidate (with the driver's default deferred ``BEGIN`` both could read it, and
the second would then fail to upgrade its read lock rather than wait).
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, event, func, select
from sqlalchemy.pool import StaticPool

from deepscreen.core.errors import StoreUnavailable
from deepscreen.core.tasks import QueueCount, ReviewTask, TaskKind, TaskStatus
from deepscreen.store import schema as s
from deepscreen.store.engine import backend_errors, make_engine, parse_url
from deepscreen.store.migrations import refuse_message
from deepscreen.store.review_rows import (
    STATUS_ORDER,
    check_lease,
    check_page,
    check_reviewer,
    done_payload,
    new_task_row,
    not_claimable,
    row_task,
    selected,
    utc,
)
from deepscreen.store.review_statements import (
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

_IMMEDIATE = "deepscreen_sqlite_immediate"


class SqlReviewQueue:
    """The ``ReviewQueueStore`` over SQLAlchemy Core; every method is one transaction.

    ``url`` and ``schema`` are as for ``SqlEventStore`` (the tables share one schema).
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        parsed = parse_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        self._closed = False
        self._engine = make_engine(parsed, schema)
        if self._engine.dialect.name == "sqlite":
            _begin_explicitly(self._engine)
        # One shared connection (":memory:") cannot interleave two transactions.
        self._lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(self._engine.pool, StaticPool) else nullcontext()
        )
        try:
            with self._write() as conn:
                version = s.ensure_schema(conn, schema)
            if version != s.SCHEMA_VERSION:
                raise StoreUnavailable(refuse_message("review queue", self.url, version))
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlReviewQueue({self.url!r})"

    def __enter__(self) -> SqlReviewQueue:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def add(self, tasks: Sequence[ReviewTask]) -> int:
        rows = [new_task_row(task) for task in tasks]
        if not rows:
            return 0
        with self._write() as conn:
            return insert_new_tasks(conn, rows)

    def claim_next(
        self,
        reviewer: str,
        *,
        now: datetime,
        lease_seconds: float,
        queues: Collection[str] | None = None,
        kinds: Collection[TaskKind] | None = None,
    ) -> ReviewTask | None:
        check_reviewer(reviewer)
        now, lease = utc(now, "now"), check_lease(lease_seconds)
        query = claimable(reviewer, now).order_by(*CLAIM_ORDER).limit(1)
        query = filtered(query, queues=selected(queues, "queues"), kinds=selected(kinds, "kinds"))
        with self._write() as conn:
            row = conn.execute(query.with_for_update(skip_locked=True)).mappings().first()
            if row is None:
                return None
            return lease_task(conn, row["task_id"], reviewer, now, lease)

    def claim(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        check_reviewer(reviewer)
        now, lease = utc(now, "now"), check_lease(lease_seconds)
        with self._write() as conn:
            task = locked_task(conn, task_id)
            if not task.claimable_by(reviewer, now):
                raise not_claimable(task, reviewer, now)
            return lease_task(conn, task_id, reviewer, now, lease)

    def renew(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask:
        now, lease = utc(now, "now"), check_lease(lease_seconds)
        with self._write() as conn:
            held_task(conn, task_id, reviewer, now, "renew")
            return set_task(conn, task_id, lease_expires_at=now + timedelta(seconds=lease))

    def release(self, task_id: str, reviewer: str, *, now: datetime) -> ReviewTask:
        now = utc(now, "now")
        with self._write() as conn:
            held_task(conn, task_id, reviewer, now, "release")
            open_ = TaskStatus.OPEN.value
            return set_task(conn, task_id, status=open_, claimed_by=None, lease_expires_at=None)

    def complete(
        self, task_id: str, reviewer: str, *, now: datetime, outcome: Mapping[str, Any]
    ) -> ReviewTask:
        now = utc(now, "now")
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

    def list_tasks(
        self,
        *,
        queues: Collection[str] | None = None,
        statuses: Collection[TaskStatus] | None = None,
        kinds: Collection[TaskKind] | None = None,
        item_id: str | None = None,
        completed_by: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ReviewTask]:
        check_page(limit, offset)
        query = filtered(
            select(t),
            queues=selected(queues, "queues"),
            kinds=selected(kinds, "kinds"),
            statuses=selected(statuses, "statuses"),
        )
        if item_id is not None:
            query = query.where(t.c.item_id == item_id)
        if completed_by is not None:
            query = query.where(t.c.completed_by == completed_by)
        with self._read() as conn:
            rows = conn.execute(query.order_by(*CLAIM_ORDER).limit(limit).offset(offset))
            return [row_task(r) for r in rows.mappings()]

    def overdue(
        self,
        *,
        now: datetime,
        queues: Collection[str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[ReviewTask]:
        now = utc(now, "now")
        check_page(limit, offset)
        query = filtered(select(t).where(late(now)), queues=selected(queues, "queues"))
        query = query.order_by(t.c.due_at, t.c.task_id).limit(limit).offset(offset)
        with self._read() as conn:
            return [row_task(r) for r in conn.execute(query).mappings()]

    def counts(self, *, now: datetime) -> list[QueueCount]:
        now = utc(now, "now")
        overdue = func.sum(case((late(now), 1), else_=0))
        query = select(t.c.queue, t.c.status, func.count(), overdue).group_by(t.c.queue, t.c.status)
        with self._read() as conn:
            rows = [(q, TaskStatus(st), int(n), int(o or 0)) for q, st, n, o in conn.execute(query)]
        rows.sort(key=lambda r: (r[0], STATUS_ORDER[r[1]]))
        return [QueueCount(*row) for row in rows]

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE`` on SQLite), committed on success."""
        with self._errors(), self._lock, self._engine.connect() as conn:
            conn.execution_options(**{_IMMEDIATE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._errors(), self._lock, self._engine.connect() as conn:
            yield conn

    def _errors(self) -> AbstractContextManager[None]:
        return backend_errors(f"review queue {self.url}", closed=self._closed)


def _begin_explicitly(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, start transactions: ``BEGIN IMMEDIATE`` for
    writes (``_IMMEDIATE`` execution option), a deferred ``BEGIN`` for reads. The recipe of
    SQLAlchemy's pysqlite notes ("Serializable isolation / Savepoints / Transactional DDL")."""

    def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "connect", no_driver_transactions)
    event.listen(engine, "begin", begin)
