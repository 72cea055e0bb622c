"""Ports of the service's access records: API keys (``KeyStore``), the audit trail
(``AuditLog``) and reviewer UI sessions ended by logout (``SessionRevocations``)."""

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


class SessionRevocations(Protocol):
    """Reviewer UI sessions ended before their expiry (logout). The session cookie is signed
    and nothing else about a session is stored, so this is what makes a logout end the session
    on the server: in every process that shares the store, not only for the browser that
    dropped its cookie.

    Obligations:
    - ``revoke`` records ``session_id`` as ended until ``expires_at`` (aware; a naive time is
      ``InvalidInput``); revoking again is a no-op. It may forget ids whose ``expires_at`` is
      before ``now`` (their cookies are refused as expired anyway), and no others.
    - ``is_revoked`` is True for every id revoked and not yet forgotten.
    Don't: swallow backend errors (raise ``StoreUnavailable``).
    """

    def revoke(self, session_id: str, expires_at: datetime, now: datetime) -> None: ...

    def is_revoked(self, session_id: str) -> bool: ...

    def close(self) -> None: ...
