"""Schema migrations on SQLite and PostgreSQL: a version-1, -2 or -3 database is refused
until ``deepscreen db upgrade`` migrates it, keeping its events; upgrading again changes
nothing."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.core.errors import StoreUnavailable
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.events.testing import item_events
from deepscreen.store.media.sql import SqlReviewerPreferences
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlDatabase
from deepscreen.store.sql.migrations import MIGRATIONS, upgrade, upgrade_url

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
V2_TABLES = {"review_tasks", "api_keys", "audit_log", "ingest_jobs"}
V3_TABLES = {"imports", "bank_removals"}
V4_TABLES = {"reviewer_preferences"}


def make_version_1(url: str, schema: str | None = None) -> None:
    """A database as deepscreen 0.x (schema version 1) left it, with one item's events."""
    make_version(url, schema, 1, V2_TABLES | V3_TABLES | V4_TABLES)


def make_version_2(url: str, schema: str | None = None) -> None:
    """A database as deepscreen before applied imports and bank removals (schema version 2)."""
    make_version(url, schema, 2, V3_TABLES | V4_TABLES)


def make_version_3(url: str, schema: str | None = None) -> None:
    """A database as deepscreen before reviewer preferences (schema version 3)."""
    make_version(url, schema, 3, V4_TABLES)


def make_version(url: str, schema: str | None, version: int, newer: set[str]) -> None:
    with SqlEventStore(url, schema=schema) as store:
        store.record_item(item_events("a"))
    engine = sa.create_engine(_driver(url), connect_args=_search_path(schema))
    with engine.begin() as conn:
        for table in sorted(newer):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql(f"UPDATE schema_version SET version = {version}")
    engine.dispose()


def _driver(url: str) -> sa.URL:
    parsed = sa.make_url(url)
    return (
        parsed.set(drivername="postgresql+psycopg") if parsed.drivername == "postgresql" else parsed
    )


def _search_path(schema: str | None) -> dict[str, str]:
    return {} if schema is None else {"options": f"-csearch_path={schema}"}


def tables(url: str, schema: str | None = None) -> set[str]:
    engine = sa.create_engine(_driver(url), connect_args=_search_path(schema))
    try:
        return set(sa.inspect(engine).get_table_names(schema=schema))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'deepscreen.db'}", None
        return
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the PostgreSQL migrations")
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL, name
    engine = sa.create_engine(_driver(POSTGRES_URL))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


def test_migrations_are_numbered_in_order_up_to_the_schema_version() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, s.SCHEMA_VERSION + 1))


def test_a_new_database_opens_at_the_latest_version(database: tuple[str, str | None]) -> None:
    url, schema = database
    SqlEventStore(url, schema=schema).close()
    assert V2_TABLES | V3_TABLES | V4_TABLES | {
        "events",
        "items",
        "decisions",
        "banks",
        "bank_entries",
    } <= tables(url, schema)
    result = upgrade_url(url, schema=schema)
    assert result.before == result.after == s.SCHEMA_VERSION and result.applied == ()


def test_version_1_is_refused_then_upgraded_keeping_every_event(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    make_version_1(url, schema)
    assert not V2_TABLES & tables(url, schema)
    with pytest.raises(StoreUnavailable, match="schema version 1.*deepscreen db upgrade"):
        SqlEventStore(url, schema=schema)

    result = upgrade_url(url, schema=schema)
    assert (result.before, result.after) == (1, 4)
    assert [m.version for m in result.applied] == [2, 3, 4]
    assert V2_TABLES | V3_TABLES | V4_TABLES <= tables(url, schema)
    with SqlEventStore(url, schema=schema) as store:
        assert store.for_item("a") == item_events("a")

    again = upgrade_url(url, schema=schema)
    assert again.before == 4 and again.applied == ()


def test_version_2_is_refused_then_upgraded_to_record_imports_and_bank_removals(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    make_version_2(url, schema)
    assert not V3_TABLES & tables(url, schema)
    with pytest.raises(StoreUnavailable, match="schema version 2.*deepscreen db upgrade"):
        SqlEventStore(url, schema=schema)
    result = upgrade_url(url, schema=schema)
    assert (result.before, result.after) == (2, 4)
    assert [m.version for m in result.applied] == [3, 4]
    assert V3_TABLES | V4_TABLES <= tables(url, schema)
    with SqlEventStore(url, schema=schema) as store:
        assert store.for_item("a") == item_events("a")


def test_version_3_is_refused_then_upgraded_to_keep_reviewer_preferences(
    database: tuple[str, str | None],
) -> None:
    url, schema = database
    make_version_3(url, schema)
    assert not V4_TABLES & tables(url, schema)
    with pytest.raises(StoreUnavailable, match="schema version 3.*deepscreen db upgrade"):
        SqlEventStore(url, schema=schema)
    result = upgrade_url(url, schema=schema)
    assert (result.before, result.after) == (3, 4) and [m.version for m in result.applied] == [4]
    assert V4_TABLES <= tables(url, schema)
    with SqlEventStore(url, schema=schema) as store:
        assert store.for_item("a") == item_events("a")
    preferences = SqlReviewerPreferences(SqlDatabase(url, schema=schema))
    try:
        preferences.set("k1", {"wellness": {"blur": "always"}}, at=datetime.now(UTC))
        assert preferences.get("k1") == {"wellness": {"blur": "always"}}
    finally:
        preferences.close()
    again = upgrade_url(url, schema=schema)
    assert again.before == 4 and again.applied == ()


def test_a_newer_database_is_refused_by_stores_and_by_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SqlEventStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(StoreUnavailable, match="schema version 99.*upgrade deepscreen"):
        SqlEventStore(f"sqlite:///{path}")
    with pytest.raises(StoreUnavailable, match="newer than"):
        upgrade_url(f"sqlite:///{path}")


def test_upgrade_of_a_new_database_applies_every_migration(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'new.db'}")
    with engine.begin() as conn:
        result = upgrade(conn)
    engine.dispose()
    assert result.before is None and [m.version for m in result.applied] == [1, 2, 3, 4]


def test_db_upgrade_command_reports_what_it_applied(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deepscreen.db'}"
    make_version_1(url)
    runner = CliRunner()
    first = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert first.exit_code == 0, first.output
    assert "version 1 → version 4" in first.output and "applied 2: review queue" in first.output
    assert "applied 3: applied impact imports" in first.output
    assert "applied 4: reviewer preferences" in first.output
    second = runner.invoke(app, ["db", "upgrade", "--db", url])
    assert second.exit_code == 0 and "up to date, nothing to do" in second.output
    refused = runner.invoke(app, ["db", "upgrade", "--db", "memory://"])
    assert refused.exit_code == 2 and "nothing to upgrade" in refused.output
