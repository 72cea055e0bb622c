"""API apps over real databases: a SQLite file, and PostgreSQL when
DEEPSCREEN_TEST_POSTGRES_URL is set (a fresh schema per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from deepscreen.api.testing import ApiHarness, api_harness
from deepscreen.service.hosted import HostedStores
from deepscreen.settings import Settings
from deepscreen.store.access.sql import SqlAuditLog, SqlKeyStore, SqlSessionRevocations
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.ingest.sql import SqlIngestJobStore
from deepscreen.store.media.sql import SqlReviewerPreferences
from deepscreen.store.sql.database import SqlDatabase

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")


@dataclass(frozen=True)
class Database:
    url: str
    schema: str | None = None

    def event_store(self) -> SqlEventStore:
        return SqlEventStore(self.url, schema=self.schema)

    def hosted(self) -> HostedStores:
        db = SqlDatabase(self.url, schema=self.schema)
        return HostedStores(
            SqlKeyStore(db),
            SqlAuditLog(db),
            SqlIngestJobStore(db),
            SqlSessionRevocations(db),
            SqlReviewerPreferences(db),
        )


@pytest.fixture(params=["sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite-file":
        yield Database(f"sqlite:///{tmp_path / 'api.db'}")
        return
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the API tests on PostgreSQL")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield Database(POSTGRES_URL, schema)
    engine = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def make_harness(database: Database) -> Iterator[Callable[..., ApiHarness]]:
    """Build harnesses over ``database`` (every one closed at the end)."""
    made: list[ApiHarness] = []

    def make(**options: Any) -> ApiHarness:
        settings = options.pop("settings", None) or Settings(db_url="memory://")
        harness = api_harness(
            settings=settings,
            store=database.event_store(),
            stores=database.hosted(),
            **options,
        )
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.close()


@pytest.fixture
def harness(make_harness: Callable[..., ApiHarness]) -> ApiHarness:
    return make_harness()
