"""``SqlKeyStore``: API keys (argon2 hashes only) in the ``api_keys`` table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from deepscreen.core.access import ApiKey, Role
from deepscreen.core.errors import InvalidInput, NotFound
from deepscreen.store import schema as s
from deepscreen.store.database import SqlDatabase, check_aware, utc


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
            "created_at": check_aware(key.created_at, "created_at"),
            "revoked_at": None
            if key.revoked_at is None
            else check_aware(key.revoked_at, "revoked_at"),
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
        when = check_aware(at, "revoked_at")
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
        created_at=utc(row["created_at"]),
        secret_hash=row["secret_hash"],
        revoked_at=None if row["revoked_at"] is None else utc(row["revoked_at"]),
    )
