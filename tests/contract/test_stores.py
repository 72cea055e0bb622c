"""The EventStore contract over every adapter: memory, SQLite (file, memory), PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.events.testing import EventStoreContract

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")

BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


class TestEventStore(EventStoreContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
        store: EventStore
        if request.param == "memory":
            store = InMemoryEventStore()
        elif request.param == "sqlite-file":
            store = SqlEventStore(f"sqlite:///{tmp_path / 'events.db'}")
        elif request.param == "sqlite-memory":
            store = SqlEventStore("sqlite:///:memory:")
        else:
            schema = request.getfixturevalue("postgres_schema")
            store = SqlEventStore(str(POSTGRES_URL), schema=schema)
        yield store
        store.close()
