"""The audit trail of state-changing actions: who (an API key id or ``cli``) did what to what.
Details are for people reading the trail and never hold secrets, media bytes or reviewer
identities: ``record_action`` drops keys that look like secrets and any bytes value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepscreen.core.access import AuditEntry
from deepscreen.core.clock import Clock
from deepscreen.store.access.ports import AuditLog

_SECRET_WORDS = ("secret", "token", "password", "authorization", "api_key", "media")


def record_action(
    audit: AuditLog,
    *,
    actor: str,
    action: str,
    target: str,
    clock: Clock,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry (``action`` like ``items.submit``) and return it."""
    entry = AuditEntry(
        occurred_at=clock(),
        actor=actor,
        action=action,
        target=target,
        details=safe_details(details or {}),
    )
    audit.append(entry)
    return entry


def safe_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """``details`` without secret-looking keys or bytes values (recursively)."""
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if any(word in key.lower() for word in _SECRET_WORDS) or isinstance(value, bytes):
            continue
        clean[key] = safe_details(value) if isinstance(value, Mapping) else value
    return clean
