"""``SqlAuditLog``: the append-only audit trail in the ``audit_log`` table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from deepscreen.core.access import AuditEntry
from deepscreen.core.errors import InvalidInput
from deepscreen.store import schema as s
from deepscreen.store.database import SqlDatabase, check_aware, utc


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
            "occurred_at": check_aware(entry.occurred_at, "occurred_at"),
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
        occurred_at=utc(row["occurred_at"]),
        actor=row["actor"],
        action=row["action"],
        target=row["target"],
        details=json.loads(row["details"]),
    )
