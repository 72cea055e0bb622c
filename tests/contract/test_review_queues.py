"""The ReviewQueueStore contract over every adapter (memory, SQLite file and memory,
PostgreSQL), and claim races between separate store instances (connections)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.ports import ReviewQueueStore
from deepscreen.store.review.sql import SqlReviewQueue
from deepscreen.store.review.testing import (
    T0,
    ReviewQueueContract,
    check_race,
    make_task,
    race_to_drain,
)

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
THREADS, TASKS = 16, 400

BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]
SHARED_DATABASES = ["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)]


def opener(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Callable[[], ReviewQueueStore]:
    """A function opening a new store instance on one database of ``backend``."""
    if backend == "sqlite-file":
        return lambda: SqlReviewQueue(f"sqlite:///{tmp_path / 'queue.db'}")
    if backend == "sqlite-memory":
        return lambda: SqlReviewQueue("sqlite:///:memory:")
    schema = request.getfixturevalue("postgres_schema")
    return lambda: SqlReviewQueue(str(POSTGRES_URL), schema=schema)


class TestReviewQueue(ReviewQueueContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReviewQueueStore]:
        store = (
            InMemoryReviewQueue()
            if request.param == "memory"
            else opener(request.param, request, tmp_path)()
        )
        yield store
        store.close()


@pytest.mark.parametrize("backend", SHARED_DATABASES)
def test_claimers_on_separate_connections_never_share_a_task(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """16 reviewers, each with its own store instance (engine, connections), drain 400 tasks;
    every fourth task is released once and claimed again. No task is ever held twice."""
    open_store = opener(backend, request, tmp_path)
    stores = [open_store() for _ in range(THREADS)]
    try:
        stores[0].add([make_task(n, priority=float(n % 7)) for n in range(1, TASKS + 1)])
        race = race_to_drain(stores, threads=THREADS, now=T0)
        check_race(stores[0], race, tasks=TASKS)
        assert len(race.claims) == TASKS + TASKS // 4
        assert len({reviewer for _, reviewer in race.claims}) > 1
    finally:
        for store in stores:
            store.close()
