"""SqlEventStore against real files and servers: reopening, failures to connect, schema versions."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from deepscreen.core.errors import ConfigError, StoreUnavailable
from deepscreen.core.events import ViewsObserved
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.events.testing import T0, item_events, views_event

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")


def test_reopened_sqlite_file_sees_the_same_events(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with SqlEventStore(url) as first:
        first.record_item(item_events("a"))
    with SqlEventStore(url) as second:
        assert second.for_item("a") == item_events("a")
        assert second.record_item(item_events("a")) is False


def test_sqlite_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    SqlEventStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


def test_two_stores_on_one_sqlite_file_share_idempotency(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    with SqlEventStore(url) as one, SqlEventStore(url) as two:
        assert one.record_item(item_events("a")) is True
        assert two.record_item(item_events("a")) is False
        assert two.has_item("a")


def test_read_streams_across_chunks_when_log_is_long(tmp_path: Path) -> None:
    with SqlEventStore(f"sqlite:///{tmp_path / 'events.db'}") as store:
        store.append([views_event(f"i{n}", n) for n in range(2500)])
        stream = store.read(kinds=["views_observed"])
        assert next(stream).item_id == "i0"
        assert sum(1 for _ in stream) == 2499
        seqs = [seq for seq, _ in store.read_with_seq()]
        tail = [e for e in store.read(since=seqs[2400]) if isinstance(e, ViewsObserved)]
        assert [e.views for e in tail] == list(range(2401, 2500))


def test_store_unavailable_when_sqlite_directory_missing(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable, match="no-such-dir"):
        SqlEventStore(f"sqlite:///{tmp_path / 'no-such-dir' / 'events.db'}")


def test_store_unavailable_when_postgres_unreachable() -> None:
    url = "postgresql://deepscreen:s3cret@127.0.0.1:1/nothing?connect_timeout=2"
    with pytest.raises(StoreUnavailable, match="127.0.0.1:1") as info:
        SqlEventStore(url)
    assert "s3cret" not in str(info.value)
    assert "postgresql+psycopg://deepscreen:***@127.0.0.1:1/nothing" in str(info.value)
    assert isinstance(info.value.__cause__, sa.exc.OperationalError)


def test_store_unavailable_when_schema_version_differs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    SqlEventStore(url).close()
    with sqlite3.connect(tmp_path / "events.db") as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(StoreUnavailable, match="schema version 99"):
        SqlEventStore(url)


@pytest.mark.parametrize(
    ("url", "schema", "match"),
    [
        ("not a url", None, "cannot parse"),
        ("mysql://root@localhost/db", None, "only sqlite"),
        ("sqlite:///:memory:", "public", "PostgreSQL"),
        ("postgresql://u@127.0.0.1:1/db", "Robert'); DROP", "lower_snake"),
    ],
)
def test_config_error_when_url_or_schema_is_wrong(url: str, schema: str | None, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        SqlEventStore(url, schema=schema)


@pytest.fixture
def postgres_url() -> Iterator[tuple[str, str]]:
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run PostgreSQL tests")
    schema = f"test_{uuid.uuid4().hex[:12]}"
    yield POSTGRES_URL, schema
    engine = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


@pytest.mark.postgres
def test_postgres_store_reopens_and_streams(postgres_url: tuple[str, str]) -> None:
    url, schema = postgres_url
    with SqlEventStore(url, schema=schema) as first:
        assert repr(first).startswith("SqlEventStore('postgresql+psycopg://")
        first.record_item(item_events("a", at=T0))
        first.append([views_event(f"i{n}", n) for n in range(2500)])
    with SqlEventStore(url, schema=schema) as second:
        assert second.for_item("a") == item_events("a", at=T0)
        assert sum(1 for _ in second.read(kinds=["views_observed"])) == 2500
