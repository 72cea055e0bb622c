"""The service's store contracts (API keys, audit trail, ingest jobs, UI session revocations)
over every adapter: memory, SQLite (file, memory) and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deepscreen.store.access.memory import (
    InMemoryAuditLog,
    InMemoryKeyStore,
    InMemorySessionRevocations,
)
from deepscreen.store.access.sql import SqlAuditLog, SqlKeyStore, SqlSessionRevocations
from deepscreen.store.access.testing import (
    AuditLogContract,
    KeyStoreContract,
    SessionRevocationsContract,
)
from deepscreen.store.ingest.memory import InMemoryIngestJobStore
from deepscreen.store.ingest.sql import SqlIngestJobStore
from deepscreen.store.ingest.testing import IngestJobStoreContract
from deepscreen.store.sql.database import SqlDatabase

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")

BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


def _open(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    memory: Callable[[], Any],
    sql: Callable[[SqlDatabase], Any],
) -> Any:
    if request.param == "memory":
        return memory()
    if request.param == "sqlite-file":
        return sql(SqlDatabase(f"sqlite:///{tmp_path / 'service.db'}"))
    if request.param == "sqlite-memory":
        return sql(SqlDatabase("sqlite:///:memory:"))
    schema = request.getfixturevalue("postgres_schema")
    return sql(SqlDatabase(str(POSTGRES_URL), schema=schema))


class TestKeyStore(KeyStoreContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        store = _open(request, tmp_path, InMemoryKeyStore, SqlKeyStore)
        yield store
        store.close()


class TestAuditLog(AuditLogContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        store = _open(request, tmp_path, InMemoryAuditLog, SqlAuditLog)
        yield store
        store.close()


class TestIngestJobStore(IngestJobStoreContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        store = _open(request, tmp_path, InMemoryIngestJobStore, SqlIngestJobStore)
        yield store
        store.close()


class TestSessionRevocations(SessionRevocationsContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
        store = _open(request, tmp_path, InMemorySessionRevocations, SqlSessionRevocations)
        yield store
        store.close()
