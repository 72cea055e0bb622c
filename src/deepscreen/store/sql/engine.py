"""Build the SQLAlchemy engine for a store URL: SQLite (WAL, pragmas) or PostgreSQL; translate
backend errors into the deepscreen error tree."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.pool import StaticPool

from deepscreen.core.errors import ConfigError, InvalidInput, StoreUnavailable

_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
IMMEDIATE = "deepscreen_sqlite_immediate"
"""The execution option that makes ``begin_explicitly``'s next ``BEGIN`` a ``BEGIN IMMEDIATE``."""


def parse_url(url: str) -> URL:
    """Parse a store URL; ``postgresql://`` means psycopg 3. Raise ``ConfigError`` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"cannot parse the event store URL {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"event store URL {parsed.render_as_string(hide_password=True)!r}:"
            " only sqlite:/// and postgresql:// are supported"
        )
    return parsed


def make_engine(url: URL, schema: str | None) -> Engine:
    """A lazy engine (no connection yet); ``schema`` sets PostgreSQL's ``search_path``."""
    masked = url.render_as_string(hide_password=True)
    if schema is not None and (
        url.get_backend_name() != "postgresql" or not _SCHEMA_NAME.fullmatch(schema)
    ):
        raise ConfigError(f"schema {schema!r} needs a PostgreSQL URL and a lower_snake name")
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url)
        connect_args: dict[str, Any] = {}
        if "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = 10
        if schema is not None:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    except (ImportError, NoSuchModuleError) as exc:
        raise ConfigError(
            f"event store {masked}: driver missing; pip install 'deepscreen[postgres]'"
        ) from exc


def _sqlite_engine(url: URL) -> Engine:
    memory = url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"
    if memory:
        engine = create_engine(url, connect_args={"check_same_thread": False}, poolclass=StaticPool)
    else:
        engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


BUSY_TIMEOUT_S = 10.0
"""How long a SQLite connection waits for another's lock before ``database is locked``."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    _wal(cursor)  # answers "memory" for in-memory databases
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _wal(cursor: Any) -> None:
    """Switch to WAL, retrying while another connection holds the lock: SQLite answers this
    pragma's contention with an immediate ``database is locked``, without the busy timeout
    (two processes opening a new database file at once)."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def begin_explicitly(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 driver, start transactions: ``BEGIN IMMEDIATE`` for
    writes (``IMMEDIATE`` execution option), a deferred ``BEGIN`` for reads. The recipe of
    SQLAlchemy's pysqlite notes ("Serializable isolation / Savepoints / Transactional DDL")."""

    def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    event.listen(engine, "connect", no_driver_transactions)
    event.listen(engine, "begin", begin)


@contextmanager
def backend_errors(
    what: str, *, closed: bool, integrity: str = "refused a value"
) -> Iterator[None]:
    """Translate backend exceptions into the deepscreen error tree at a store's boundary;
    ``what`` names the store (``event store sqlite:///…``), ``integrity`` what a constraint
    violation means for it."""
    if closed:
        raise StoreUnavailable(f"{what} is closed")
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(f"{what} is unavailable: {exc.orig}") from exc
    except IntegrityError as exc:
        raise InvalidInput(f"{what} {integrity}: {exc.orig}") from exc
    except DataError as exc:
        raise InvalidInput(f"{what} refused a value: {exc.orig}") from exc
    except DBAPIError as exc:  # e.g. permission denied, tables dropped under us
        raise StoreUnavailable(f"{what} cannot be used: {exc.orig}") from exc
