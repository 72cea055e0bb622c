"""A takedown notice, its imports row and its task are written in one transaction
(``EventStore.append_import(..., tasks=...)``): a failure between the event rows and the task
rows leaves nothing written, the retry writes all of it, and the same notice again writes
nothing — on memory, a SQLite file and PostgreSQL (when DEEPSCREEN_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from deepscreen.core.errors import InvalidInput, TaskNotFound
from deepscreen.core.events import NoticeReceived, NoticeType
from deepscreen.core.imports import ImportRecord
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.store.events import sql as sql_module
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.ports import ReviewQueueStore

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
T0 = datetime(2026, 6, 1, tzinfo=UTC)


class Crash(Exception):
    """Stands for the process dying between the notice row and the task row."""


@dataclass
class Database:
    store: EventStore
    queue: ReviewQueueStore
    backend: str


@pytest.fixture(
    params=["memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    store: EventStore
    queue: ReviewQueueStore
    schema = None
    if request.param == "memory":
        memory = InMemoryEventStore()
        store, queue = memory, memory.review_queue
    elif request.param == "sqlite-file":
        sql_store = SqlEventStore(f"sqlite:///{tmp_path / 'events.db'}")
        store, queue = sql_store, sql_store.open_review_queue()
    else:
        if not POSTGRES_URL:
            pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the PostgreSQL tests")
        schema = f"test_{uuid.uuid4().hex[:12]}"
        sql_store = SqlEventStore(POSTGRES_URL, schema=schema)
        store, queue = sql_store, sql_store.open_review_queue()
    yield Database(store, queue, request.param)
    queue.close()
    store.close()
    if schema is not None:
        engine = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def notice_and_task(n: int = 1) -> tuple[ImportRecord, NoticeReceived, ReviewTask]:
    notice = NoticeReceived(
        item_id="sha256:" + "a" * 64,
        occurred_at=T0,
        notice_id=f"ntc-{n}",
        notice_type=NoticeType.NCII,
        deadline_at=T0 + timedelta(hours=48),
        statement="s",
        contact="c",
        good_faith=True,
    )
    task = ReviewTask(
        task_id=f"takedown:ntc-{n}",
        item_id=notice.item_id,
        kind=TaskKind.REVIEW,
        queue="takedown",
        priority=1e15 - (T0 + timedelta(hours=48)).timestamp(),
        created_at=T0,
        due_at=T0 + timedelta(hours=48),
        payload={"takedown": {"notice_id": f"ntc-{n}"}},
    )
    record = ImportRecord(
        kind="notice", digest=f"{n:x}".rjust(64, "0"), source="test", imported_at=T0, events=1
    )
    return record, notice, task


def crash_between_events_and_tasks(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise Crash("killed between the notice row and the task row")

    if database.backend == "memory":
        monkeypatch.setattr(InMemoryReviewQueue, "_put", crash)
    else:
        monkeypatch.setattr(sql_module, "insert_new_tasks", crash)


def notices(database: Database) -> list[Any]:
    return list(database.store.read(kinds=["notice_received"]))


def test_the_notice_and_its_task_are_written_together_once(database: Database) -> None:
    record, notice, task = notice_and_task()
    assert database.store.append_import(record, [notice], tasks=[task]) is None
    assert notices(database) == [notice]
    stored = database.queue.get(task.task_id)
    assert (stored.queue, stored.due_at, stored.priority) == (
        "takedown",
        task.due_at,
        task.priority,
    )
    again = database.store.append_import(record, [notice], tasks=[task])
    assert again is not None and again.digest == record.digest
    assert notices(database) == [notice]
    assert len(database.queue.list_tasks(queues=["takedown"])) == 1


def test_a_crash_between_the_notice_and_its_task_writes_neither(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    record, notice, task = notice_and_task()
    with monkeypatch.context() as patch:
        crash_between_events_and_tasks(database, patch)
        with pytest.raises(Crash):
            database.store.append_import(record, [notice], tasks=[task])
    assert notices(database) == []
    with pytest.raises(TaskNotFound):
        database.queue.get(task.task_id)
    # not marked applied: the retry writes the notice, its row and its task
    assert database.store.append_import(record, [notice], tasks=[task]) is None
    assert notices(database) == [notice]
    assert database.queue.get(task.task_id).item_id == notice.item_id


def test_a_bad_task_writes_no_notice(database: Database) -> None:
    record, notice, task = notice_and_task()
    naive = dataclasses.replace(task, created_at=datetime(2026, 6, 1))
    with pytest.raises(InvalidInput):
        database.store.append_import(record, [notice], tasks=[naive])
    assert notices(database) == []
    assert database.store.append_import(record, [notice], tasks=[task]) is None
