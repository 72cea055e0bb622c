"""An item's events and its routed review tasks are written in one transaction (issue 17): a
failure between the event rows and the task rows leaves nothing written, on every backend
(memory, a SQLite file, PostgreSQL when DEEPSCREEN_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput, TaskNotFound
from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.store.events import sql as sql_module
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.events.testing import item_events
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.ports import ReviewQueueStore

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")


class Crash(Exception):
    """Stands for the process dying between the event rows and the task rows."""


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


def review_item(item_id: str) -> tuple[list[Any], ReviewTask]:
    """An item decided ``review`` and the task routed for it."""
    events = item_events(item_id, action=Action.REVIEW)
    decision = events[-1].decision
    task = ReviewTask(
        task_id=f"review:{decision.decision_id}",
        item_id=item_id,
        kind=TaskKind.REVIEW,
        queue="synthetic_media",
        priority=2.5,
        created_at=decision.decided_at,
        decision_id=decision.decision_id,
        payload={"context": {"decision_id": decision.decision_id}},
    )
    return events, task


def crash_between_events_and_tasks(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the task write fail once the item's event rows are written (SQL: inside the
    transaction, after the events, items and decisions rows; memory: in its task step)."""

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise Crash("killed between the event rows and the task rows")

    if database.backend == "memory":
        monkeypatch.setattr(InMemoryReviewQueue, "_put", crash)
    else:
        monkeypatch.setattr(sql_module, "insert_new_tasks", crash)


def nothing_of(database: Database, item_id: str, task: ReviewTask) -> None:
    assert not database.store.has_item(item_id)
    assert database.store.for_item(item_id) == []
    assert database.store.latest_decision(item_id) is None
    assert database.store.decisions(action="review") == []
    with pytest.raises(TaskNotFound):
        database.queue.get(task.task_id)


def test_the_decision_and_its_task_are_written_together(database: Database) -> None:
    events, task = review_item("a")
    assert database.store.record_item(events, tasks=[task]) is True
    assert database.store.for_item("a") == events
    stored = database.queue.get(task.task_id)
    assert (stored.item_id, stored.decision_id, stored.priority) == ("a", task.decision_id, 2.5)
    assert stored.created_at == task.created_at


def test_a_crash_between_events_and_task_writes_neither(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    events, task = review_item("a")
    with monkeypatch.context() as patch:
        crash_between_events_and_tasks(database, patch)
        with pytest.raises(Crash):
            database.store.record_item(events, tasks=[task])
    nothing_of(database, "a", task)
    assert database.store.record_item(events, tasks=[task]) is True  # the retry writes both
    assert database.queue.get(task.task_id).decision_id == task.decision_id


def test_a_crash_in_a_batch_writes_no_item_of_it(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = item_events("plain")
    reviewed, task = review_item("reviewed")
    with monkeypatch.context() as patch:
        crash_between_events_and_tasks(database, patch)
        with pytest.raises(Crash):
            database.store.record_items([plain, reviewed], tasks=[[], [task]])
    nothing_of(database, "reviewed", task)
    assert not database.store.has_item("plain")
    assert database.store.record_items([plain, reviewed], tasks=[[], [task]]) == [True, True]
    assert database.queue.get(task.task_id).item_id == "reviewed"


def test_an_item_already_stored_adds_no_task(database: Database) -> None:
    events, task = review_item("a")
    assert database.store.record_item(events) is True  # the old first step, without its task
    assert database.store.record_item(events, tasks=[task]) is False
    assert database.store.record_items([events], tasks=[[task]]) == [False]
    with pytest.raises(TaskNotFound):
        database.queue.get(task.task_id)


def test_a_task_already_queued_is_left_as_it_is(database: Database) -> None:
    events, task = review_item("a")
    database.queue.add([dataclasses.replace(task, priority=9.0)])
    assert database.store.record_item(events, tasks=[task]) is True
    assert database.queue.get(task.task_id).priority == 9.0


def test_a_task_of_another_item_or_a_bad_task_is_refused_and_nothing_written(
    database: Database,
) -> None:
    events, task = review_item("a")
    with pytest.raises(InvalidInput, match="is for item 'b'"):
        database.store.record_item(events, tasks=[dataclasses.replace(task, item_id="b")])
    with pytest.raises(InvalidInput, match="payload"):
        database.store.record_item(events, tasks=[dataclasses.replace(task, payload={"x": {1}})])
    with pytest.raises(InvalidInput, match="2 task lists for 1 items"):
        database.store.record_items([events], tasks=[[task], []])
    nothing_of(database, "a", task)
