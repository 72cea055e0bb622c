"""Ports of the service's access records: API keys (``KeyStore``) and the audit trail
(``AuditLog``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from deepscreen.core.access import ApiKey, AuditEntry


class KeyStore(Protocol):
    """API keys by id.

    Obligations:
    - ``add`` stores a new key; a ``key_id`` already stored raises ``InvalidInput``.
    - ``get`` returns the key (revoked or not) or None; ``list`` every key by creation.
    - ``revoke`` sets ``revoked_at`` once (revoking again keeps the first time) and returns the
      key; an unknown id raises ``NotFound``. Nothing is ever deleted.
    Don't: store or return a secret (only its hash); swallow backend errors (raise
    ``StoreUnavailable``).
    """

    def add(self, key: ApiKey) -> None: ...

    def get(self, key_id: str) -> ApiKey | None: ...

    def list(self) -> list[ApiKey]: ...

    def revoke(self, key_id: str, at: datetime) -> ApiKey: ...

    def close(self) -> None: ...


class AuditLog(Protocol):
    """Append-only audit trail.

    Obligations:
    - ``append`` writes one entry (timezone-aware time, JSON-object details) or refuses it
      with ``InvalidInput``.
    - ``entries`` pages through entries in append order, optionally one actor's only.
    Don't: update or delete entries; swallow backend errors.
    """

    def append(self, entry: AuditEntry) -> None: ...

    def entries(
        self, *, actor: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[AuditEntry]: ...

    def close(self) -> None: ...
