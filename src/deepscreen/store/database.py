"""``SqlDatabase``: one engine on a deepscreen database (schema checked on open), shared by the
small SQL stores of the service (API keys, audit trail, ingest jobs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.pool import StaticPool

from deepscreen.core.errors import InvalidInput, StoreUnavailable
from deepscreen.store import schema as s
from deepscreen.store.engine import backend_errors, make_engine, parse_url
from deepscreen.store.migrations import refuse_message


class SqlDatabase:
    """A lazily connecting engine on ``url`` (SQLite or PostgreSQL; ``schema`` as for
    ``SqlEventStore``), its schema created or checked on open.

    ``begin()`` is one write transaction, ``connect()`` a read; both translate backend errors
    into the deepscreen tree (``StoreUnavailable``, ``InvalidInput``).
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        parsed = parse_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        self._closed = False
        self._engine = make_engine(parsed, schema)
        # One shared connection (":memory:") cannot interleave two transactions.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(self._engine.pool, StaticPool) else nullcontext()
        )
        try:
            with self.begin() as conn:
                version = s.ensure_schema(conn, schema)
            if version != s.SCHEMA_VERSION:
                raise StoreUnavailable(refuse_message("database", self.url, version))
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlDatabase({self.url!r})"

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.errors(), self._write_lock, self._engine.begin() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.errors(), self._engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def errors(self) -> AbstractContextManager[None]:
        """Translate backend exceptions into the deepscreen error tree at this boundary."""
        return backend_errors(f"database {self.url}", closed=self._closed)


def utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite returns naive UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_aware(value: datetime, what: str) -> datetime:
    if value.utcoffset() is None:
        raise InvalidInput(f"{what} is a naive datetime {value.isoformat()!r}")
    return value.astimezone(UTC)
