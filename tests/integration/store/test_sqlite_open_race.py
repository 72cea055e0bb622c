"""Opening a SQLite database while another connection holds its lock waits for it, including
the switch to WAL, which SQLite may refuse at once (``database is locked``) when two
connections open a new file together: it is retried until the busy timeout."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.sql import engine as sql_engine
from deepscreen.store.sql.engine import make_engine, parse_url


class _Cursor:
    """Answers ``PRAGMA journal_mode=WAL`` with the given errors, then succeeds."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.calls = 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.errors:
            raise sqlite3.OperationalError(self.errors.pop(0))


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(sql_engine.time, "sleep", slept.append)
    return slept


def test_the_switch_to_wal_is_retried_while_the_database_is_locked(no_sleep: list[float]) -> None:
    cursor = _Cursor("database is locked", "database is locked", "database is locked")
    sql_engine._wal(cursor)
    assert cursor.calls == 4
    assert no_sleep == [0.001, 0.002, 0.004]  # backing off, capped at 50 ms


def test_another_error_in_the_switch_to_wal_is_raised_at_once(no_sleep: list[float]) -> None:
    cursor = _Cursor("disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        sql_engine._wal(cursor)
    assert cursor.calls == 1


def test_a_lock_held_past_the_busy_timeout_is_raised(
    no_sleep: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sql_engine, "BUSY_TIMEOUT_S", 0.0)
    cursor = _Cursor("database is locked", "database is locked")
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        sql_engine._wal(cursor)
    assert cursor.calls == 1


def _hold_exclusive_lock(path: Path) -> tuple[threading.Event, threading.Thread]:
    """A connection in rollback-journal mode holding ``BEGIN EXCLUSIVE`` until released."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        locked.set()
        release.wait(30)
        conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(30)
    threading.Timer(0.2, release.set).start()  # the opener below finds it locked
    return release, thread


def test_an_engine_opened_while_the_file_is_locked_waits_and_switches_to_wal(
    tmp_path: Path,
) -> None:
    path = tmp_path / "store.db"
    release, thread = _hold_exclusive_lock(path)
    engine = make_engine(parse_url(f"sqlite:///{path}"), None)
    try:
        with engine.connect() as conn:
            mode = conn.execute(text("PRAGMA journal_mode")).scalar_one()
    finally:
        engine.dispose()
        release.set()
        thread.join()
    assert mode == "wal"


def test_a_store_opened_while_the_file_is_locked_opens(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    release, thread = _hold_exclusive_lock(path)
    try:
        store = SqlEventStore(f"sqlite:///{path}")
        store.close()
    finally:
        release.set()
        thread.join()
