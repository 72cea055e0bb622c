"""``SqlReviewerPreferences``: each reviewer's UI preferences (wellness filters) in the
``reviewer_preferences`` table (schema version 4), shared by every server process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from deepscreen.core.errors import InvalidInput
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlDatabase
from deepscreen.store.times import require_aware

MAX_JSON_CHARS = 4000  # a handful of choices; anything larger is a mistake


class SqlReviewerPreferences:
    """The ``ReviewerPreferences`` port over a ``SqlDatabase``: one row per API key id."""

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlReviewerPreferences({self._db.url!r})"

    def get(self, key_id: str) -> dict[str, Any]:
        p = s.reviewer_preferences
        query = select(p.c.preferences).where(p.c.key_id == key_id)
        with self._db.connect() as conn:
            raw = conn.execute(query).scalar_one_or_none()
        value = json.loads(raw) if raw is not None else {}
        return value if isinstance(value, dict) else {}

    def set(self, key_id: str, preferences: Mapping[str, Any], *, at: datetime) -> None:
        when = require_aware(at, "at")
        text = json.dumps(dict(preferences), sort_keys=True)
        if len(text) > MAX_JSON_CHARS:
            raise InvalidInput(f"preferences hold at most {MAX_JSON_CHARS} characters of JSON")
        p = s.reviewer_preferences
        with self._db.begin() as conn:
            insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
            statement = insert(p).values(key_id=key_id, preferences=text, updated_at=when)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["key_id"], set_={"preferences": text, "updated_at": when}
                )
            )

    def close(self) -> None:
        self._db.close()
