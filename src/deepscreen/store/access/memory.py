"""In-memory fakes of the access ports: ``InMemoryKeyStore``, ``InMemoryAuditLog`` and
``InMemorySessionRevocations``."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from deepscreen.core.access import ApiKey, AuditEntry
from deepscreen.core.errors import InvalidInput, NotFound
from deepscreen.store.memory import InMemoryStore
from deepscreen.store.times import require_aware


class InMemoryKeyStore(InMemoryStore):
    """API keys in a dict, behind a lock; refuses what ``SqlKeyStore`` refuses."""

    closed_message = "in-memory key store is closed"

    def __init__(self) -> None:
        super().__init__()
        self._keys: dict[str, ApiKey] = {}

    def add(self, key: ApiKey) -> None:
        created_at = require_aware(key.created_at, "created_at")
        with self._lock:
            self._check_open()
            if key.key_id in self._keys:
                raise InvalidInput(f"API key id {key.key_id!r} already exists")
            self._keys[key.key_id] = dataclasses.replace(key, created_at=created_at)

    def get(self, key_id: str) -> ApiKey | None:
        with self._lock:
            self._check_open()
            return self._keys.get(key_id)

    def list(self) -> list[ApiKey]:
        with self._lock:
            self._check_open()
            return sorted(self._keys.values(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, at: datetime) -> ApiKey:
        at = require_aware(at, "revoked_at")
        with self._lock:
            self._check_open()
            key = self._keys.get(key_id)
            if key is None:
                raise NotFound(f"no API key {key_id!r}")
            if key.revoked_at is None:
                key = dataclasses.replace(key, revoked_at=at)
                self._keys[key_id] = key
            return key


class InMemoryAuditLog(InMemoryStore):
    """The audit trail in a list, behind a lock."""

    closed_message = "in-memory audit log is closed"

    def __init__(self) -> None:
        super().__init__()
        self._entries: list[AuditEntry] = []

    def append(self, entry: AuditEntry) -> None:
        occurred_at = require_aware(entry.occurred_at, "occurred_at")
        try:
            details = json.loads(json.dumps(dict(entry.details), allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"audit details of {entry.action!r} are not JSON: {exc}") from exc
        stored = dataclasses.replace(entry, occurred_at=occurred_at, details=details)
        with self._lock:
            self._check_open()
            self._entries.append(stored)

    def entries(
        self, *, actor: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]:
        if limit < 0 or offset < 0:
            raise InvalidInput(f"limit and offset must be >= 0, got {limit!r}, {offset!r}")
        with self._lock:
            self._check_open()
            found = [e for e in self._entries if actor is None or e.actor == actor]
        return found[offset : offset + limit]


class InMemorySessionRevocations(InMemoryStore):
    """Revoked session ids and their expiries in a dict, behind a lock (one process only: a
    server with several processes and a ``memory://`` database has nothing to share)."""

    closed_message = "in-memory session revocations are closed"

    def __init__(self) -> None:
        super().__init__()
        self._revoked: dict[str, datetime] = {}

    def revoke(self, session_id: str, expires_at: datetime, now: datetime) -> None:
        until = require_aware(expires_at, "expires_at")
        now = require_aware(now, "now")
        with self._lock:
            self._check_open()
            for expired in [s for s, at in self._revoked.items() if at < now]:
                del self._revoked[expired]
            self._revoked.setdefault(session_id, until)

    def is_revoked(self, session_id: str) -> bool:
        with self._lock:
            self._check_open()
            return session_id in self._revoked
