"""``SqlSessionRevocations``: reviewer UI sessions ended by logout, in the
``ui_session_revocations`` table (shared by every server process on the database)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from deepscreen.store import schema as s
from deepscreen.store.database import SqlDatabase, check_aware


class SqlSessionRevocations:
    """The ``SessionRevocations`` port over a ``SqlDatabase``; a revocation is one transaction
    that also deletes the rows already past their expiry (so the table stays as small as the
    number of sessions ended in the last session lifetime)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlSessionRevocations({self._db.url!r})"

    def revoke(self, session_id: str, expires_at: datetime, now: datetime) -> None:
        until = check_aware(expires_at, "expires_at")
        current = check_aware(now, "now")
        r = s.ui_session_revocations
        with self._db.begin() as conn:
            conn.execute(delete(r).where(r.c.expires_at < current))
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            statement = insert(r).values(session_id=session_id, expires_at=until)
            conn.execute(statement.on_conflict_do_nothing(index_elements=["session_id"]))

    def is_revoked(self, session_id: str) -> bool:
        r = s.ui_session_revocations
        query = select(r.c.session_id).where(r.c.session_id == session_id)
        with self._db.connect() as conn:
            return conn.execute(query).first() is not None

    def close(self) -> None:
        self._db.close()
