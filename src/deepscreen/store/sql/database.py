"""``SqlDatabase``: the one engine on a deepscreen database (schema checked on open), shared by
every SQL store of that database that begins its transactions the same way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ClassVar, Self

from sqlalchemy import Connection
from sqlalchemy.pool import StaticPool

from deepscreen.core.errors import StoreUnavailable
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.engine import (
    IMMEDIATE,
    backend_errors,
    begin_explicitly,
    make_engine,
    parse_url,
)
from deepscreen.store.sql.migrations import refuse_message


class SqlDatabase:
    """A lazily connecting engine on ``url`` (``sqlite:///path.db``, ``sqlite:///:memory:`` or
    ``postgresql://...``; ``schema``, PostgreSQL only, puts the tables in that schema, created if
    needed), its schema created or checked on open.

    ``begin()`` is one write transaction, ``connect()`` a read; both translate backend errors
    into the deepscreen tree (``StoreUnavailable``, ``InvalidInput``). ``transaction()`` and
    ``connection()`` are the same without translation, for a store that names itself in its
    errors. ``kind`` names the store in a refusal to open. Closing the database closes every
    store on it. ``explicit_begin``: on SQLite, writes begin with ``BEGIN IMMEDIATE`` and every
    read is a transaction too (see ``engine.begin_explicitly``); such a database is its own.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        kind: str = "database",
        explicit_begin: bool = False,
    ) -> None:
        parsed = parse_url(url)
        self.url = parsed.render_as_string(hide_password=True)
        self._url, self._schema = url, schema  # to open another engine on this database
        self._closed = False
        self._engine = make_engine(parsed, schema)
        self._explicit = explicit_begin and self._engine.dialect.name == "sqlite"
        if self._explicit:
            begin_explicitly(self._engine)
        # One shared connection (":memory:") cannot interleave two transactions; reads on it
        # are not isolated from a write in progress, which is acceptable for tests and demos.
        self._write_lock: AbstractContextManager[Any] = (
            threading.Lock() if isinstance(self._engine.pool, StaticPool) else nullcontext()
        )
        try:
            with backend_errors(f"{kind} {self.url}", closed=False), self.transaction() as conn:
                version = s.ensure_schema(conn, schema)
            if version != s.SCHEMA_VERSION:
                raise StoreUnavailable(refuse_message(kind, self.url, version))
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SqlDatabase({self.url!r})"

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def closed(self) -> bool:
        return self._closed

    def another(self, *, kind: str, explicit_begin: bool = False) -> SqlDatabase:
        """A second engine on this database, for a store that begins transactions otherwise."""
        return SqlDatabase(self._url, schema=self._schema, kind=kind, explicit_begin=explicit_begin)

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        with self.errors(), self.transaction() as conn:
            yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.errors(), self.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction, committed on success (``BEGIN IMMEDIATE`` if explicit)."""
        with self._write_lock, self._engine.connect() as conn:
            if self._explicit:
                conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                yield conn

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection to read on (waiting for the write lock when reads are transactions)."""
        with self._write_lock if self._explicit else nullcontext(), self._engine.connect() as conn:
            yield conn

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def errors(self) -> AbstractContextManager[None]:
        """Translate backend exceptions into the deepscreen error tree at this boundary."""
        return backend_errors(f"database {self.url}", closed=self._closed)


class SqlStore:
    """A store over a ``SqlDatabase``: given one, it shares its engine (closing the store closes
    the database, hence every store on it); given a URL (``schema`` as for ``SqlDatabase``), it
    opens a database of its own. ``kind`` names it in its errors."""

    kind: ClassVar[str]
    integrity: ClassVar[str] = "refused a value"
    """What a constraint violation means for this store, in its ``InvalidInput``."""
    explicit_begin: ClassVar[bool] = False
    """True for a store whose SQLite transactions begin explicitly: it gets an engine of its own
    on a database given to it."""

    def __init__(self, database: str | SqlDatabase, *, schema: str | None = None) -> None:
        if isinstance(database, str):
            database = SqlDatabase(
                database, schema=schema, kind=self.kind, explicit_begin=self.explicit_begin
            )
        elif self.explicit_begin:
            database = database.another(kind=self.kind, explicit_begin=True)
        self._db = database
        self.url = database.url

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def database(self) -> SqlDatabase:
        """The database this store is on, for other stores to share its engine."""
        return self._db

    def close(self) -> None:
        self._db.close()

    def _check_open(self) -> None:
        if self._db.closed:
            raise StoreUnavailable(f"{self.kind} {self.url} is closed")

    def _errors(self) -> AbstractContextManager[None]:
        return backend_errors(
            f"{self.kind} {self.url}", closed=self._db.closed, integrity=self.integrity
        )
