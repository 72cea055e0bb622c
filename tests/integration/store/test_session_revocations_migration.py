"""``deepscreen db upgrade`` gives a version-2 database the ``ui_session_revocations`` table
(reviewer UI logouts), on SQLite and PostgreSQL, and the revocations work on it afterwards."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.core.errors import StoreUnavailable
from deepscreen.store.access.sql import SqlSessionRevocations
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.sql.database import SqlDatabase
from deepscreen.store.sql.schema import SCHEMA_VERSION

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
ADDED_IN_3 = ("imports", "bank_removals", "ui_session_revocations")
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _engine(url: str, schema: str | None) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    options = {} if schema is None else {"options": f"-csearch_path={schema}"}
    return sa.create_engine(parsed, connect_args=options)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def version_2(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """A database as deepscreen left it at schema version 2."""
    if request.param == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'v2.db'}", None
    elif not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the PostgreSQL migration")
    else:
        url, schema = POSTGRES_URL, f"test_{uuid.uuid4().hex[:12]}"
    SqlEventStore(url, schema=schema).close()
    engine = _engine(url, schema)
    with engine.begin() as conn:
        for table in ADDED_IN_3:
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("UPDATE schema_version SET version = 2")
    engine.dispose()
    yield url, schema
    if schema is not None:
        engine = _engine(url, None)
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        engine.dispose()


def test_db_upgrade_adds_the_session_revocations(version_2: tuple[str, str | None]) -> None:
    url, schema = version_2
    with pytest.raises(StoreUnavailable, match="deepscreen db upgrade"):
        SqlDatabase(url, schema=schema)
    args = ["db", "upgrade", "--db", url, *(["--schema", schema] if schema else [])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert f"version 2 → version {SCHEMA_VERSION}" in result.output
    assert "ui_session_revocations" in result.output
    revocations = SqlSessionRevocations(SqlDatabase(url, schema=schema))
    try:
        revocations.revoke("s1", NOW + timedelta(hours=8), NOW)
        assert revocations.is_revoked("s1") and not revocations.is_revoked("s2")
    finally:
        revocations.close()
