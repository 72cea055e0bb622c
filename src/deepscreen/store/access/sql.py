"""The access ports over a ``SqlDatabase``: API keys (``api_keys``, argon2 hashes only), the
audit trail (``audit_log``) and UI sessions ended by logout (``ui_session_revocations``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from deepscreen.core.access import ApiKey, AuditEntry, Role
from deepscreen.core.errors import InvalidInput, NotFound
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlDatabase
from deepscreen.store.times import require_aware, stored_utc, stored_utc_or_none


class SqlKeyStore:
    """The ``KeyStore`` over a ``SqlDatabase``; every write is one transaction."""

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlKeyStore({self._db.url!r})"

    def add(self, key: ApiKey) -> None:
        values = {
            "key_id": key.key_id,
            "secret_hash": key.secret_hash,
            "role": Role(key.role).value,
            "name": key.name,
            "created_at": require_aware(key.created_at, "created_at"),
            "revoked_at": None
            if key.revoked_at is None
            else require_aware(key.revoked_at, "revoked_at"),
        }
        with self._db.begin() as conn:
            try:
                conn.execute(insert(s.api_keys).values(**values))
            except IntegrityError as exc:
                raise InvalidInput(f"API key id {key.key_id!r} already exists") from exc

    def get(self, key_id: str) -> ApiKey | None:
        query = select(s.api_keys).where(s.api_keys.c.key_id == key_id)
        with self._db.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _key(row._mapping)

    def list(self) -> list[ApiKey]:
        k = s.api_keys.c
        query = select(s.api_keys).order_by(k.created_at, k.key_id)
        with self._db.connect() as conn:
            return [_key(r._mapping) for r in conn.execute(query)]

    def revoke(self, key_id: str, at: datetime) -> ApiKey:
        k = s.api_keys.c
        when = require_aware(at, "revoked_at")
        with self._db.begin() as conn:
            conn.execute(
                update(s.api_keys)
                .where(k.key_id == key_id, k.revoked_at.is_(None))
                .values(revoked_at=when)
            )
            row = conn.execute(select(s.api_keys).where(k.key_id == key_id)).first()
        if row is None:
            raise NotFound(f"no API key {key_id!r}")
        return _key(row._mapping)

    def close(self) -> None:
        self._db.close()


def _key(row: Any) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        role=Role(row["role"]),
        name=row["name"],
        created_at=stored_utc(row["created_at"]),
        secret_hash=row["secret_hash"],
        revoked_at=stored_utc_or_none(row["revoked_at"]),
    )


class SqlAuditLog:
    """The ``AuditLog`` over a ``SqlDatabase``."""

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database
        # Built once: ``insert(...).values(**row)`` per call costs more than the INSERT itself
        # (every scan over the API appends a row).
        self._insert = insert(s.audit_log)

    def __repr__(self) -> str:
        return f"SqlAuditLog({self._db.url!r})"

    def append(self, entry: AuditEntry) -> None:
        values = {
            "occurred_at": require_aware(entry.occurred_at, "occurred_at"),
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "details": encode_details(entry),
        }
        with self._db.begin() as conn:
            conn.execute(self._insert, values)

    def entries(
        self, *, actor: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        a = s.audit_log.c
        if limit < 0 or offset < 0:
            raise InvalidInput(f"limit and offset must be >= 0, got {limit!r}, {offset!r}")
        query = select(s.audit_log).order_by(a.seq).limit(limit).offset(offset)
        if actor is not None:
            query = query.where(a.actor == actor)
        with self._db.connect() as conn:
            return [_entry(r._mapping) for r in conn.execute(query)]

    def close(self) -> None:
        self._db.close()


def encode_details(entry: AuditEntry) -> str:
    """The details as strict JSON text; refuse what JSON cannot hold."""
    try:
        return json.dumps(dict(entry.details), allow_nan=False, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"audit details of {entry.action!r} are not JSON: {exc}") from exc


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        occurred_at=stored_utc(row["occurred_at"]),
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details=json.loads(row["details"]),
    )


class SqlSessionRevocations:
    """The ``SessionRevocations`` port over a ``SqlDatabase``; a revocation is one transaction
    that also deletes the rows already past their expiry (so the table stays as small as the
    number of sessions ended in the last session lifetime)."""

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlSessionRevocations({self._db.url!r})"

    def revoke(self, session_id: str, expires_at: datetime, now: datetime) -> None:
        until = require_aware(expires_at, "expires_at")
        current = require_aware(now, "now")
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
