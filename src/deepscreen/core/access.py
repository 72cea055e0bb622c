"""Who may call the service: API key records, the roles they carry, and audit trail entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """What an API key may do; which endpoints each role reaches is ``deepscreen.api.access``."""

    INGEST = "ingest"  # submit media and exposure counts, read back its items
    REVIEWER = "reviewer"  # read items and decisions (and, later, work the review queue)
    ANALYST = "analyst"  # read decisions, items and the impact metrics
    ADMIN = "admin"  # everything


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored API key. ``secret_hash`` is the argon2 hash; the secret itself is never kept."""

    key_id: str
    role: Role
    name: str
    created_at: datetime
    secret_hash: str = field(repr=False)
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request: an API key id and its role (never the secret)."""

    key_id: str
    role: Role


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One state-changing action: ``actor`` is an API key id (or ``cli``), ``details`` a JSON
    object that never holds secrets or media bytes."""

    occurred_at: datetime
    actor: str
    action: str
    target: str
    details: Mapping[str, Any] = field(default_factory=dict)
