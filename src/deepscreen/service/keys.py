"""API keys: create (the secret is shown once), list, revoke, and authenticate requests
(``KeyVerifier``: argon2id hashes, successes cached for ``ttl_s`` under an HMAC of the key).
Token format and cache rules: docs/internals/service.md."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deepscreen.core.access import ApiKey, Principal, Role
from deepscreen.core.clock import Clock
from deepscreen.core.errors import InvalidInput, Unauthenticated
from deepscreen.service.audit import record_action
from deepscreen.store.access.ports import AuditLog, KeyStore

PREFIX = "ds"
_TOKEN = re.compile(r"ds_([0-9a-f]{16})_([A-Za-z0-9_-]{20,100})")
_MAX_CACHED = 10_000


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # the whole key, secret included: shown once, never stored


def create_key(
    keys: KeyStore,
    audit: AuditLog,
    *,
    role: Role,
    name: str,
    actor: str,
    clock: Clock,
    hasher: PasswordHasher | None = None,
) -> CreatedKey:
    """A new key with a random id and secret; stores the argon2 hash and audits it."""
    if not name.strip():
        raise InvalidInput("a key needs a name (who or what uses it)")
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    key = ApiKey(
        key_id=key_id,
        role=Role(role),
        name=name.strip(),
        created_at=clock(),
        secret_hash=(hasher or PasswordHasher()).hash(secret),
    )
    keys.add(key)
    details = {"role": key.role.value, "name": key.name}
    record_action(
        audit, actor=actor, action="keys.create", target=key_id, clock=clock, details=details
    )
    return CreatedKey(key, f"{PREFIX}_{key_id}_{secret}")


def revoke_key(keys: KeyStore, audit: AuditLog, key_id: str, *, actor: str, clock: Clock) -> ApiKey:
    """Revoke a key (``NotFound`` if unknown; revoking again keeps the first time)."""
    key = keys.revoke(key_id, clock())
    record_action(audit, actor=actor, action="keys.revoke", target=key_id, clock=clock)
    return key


def parse_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _TOKEN.fullmatch(token)
    return None if match is None else (match.group(1), match.group(2))


class KeyVerifier:
    """Authenticate presented keys against the ``KeyStore``, caching successes for ``ttl_s``.

    Thread-safe. ``monotonic`` is injectable so tests move time without sleeping.
    """

    def __init__(
        self,
        keys: KeyStore,
        *,
        ttl_s: float,
        hasher: PasswordHasher | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = keys
        self._ttl_s = ttl_s
        self._hasher = hasher or PasswordHasher()
        self._monotonic = monotonic
        self._pepper = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[Principal, float]] = {}
        self._verifying: dict[bytes, Future[Principal]] = {}

    def cached(self, token: str) -> Principal | None:
        """The principal of a key verified within ``ttl_s``, else None — without blocking (no
        store read, no argon2), so an event loop may call it and hand only misses to a thread."""
        return self._cached(self._fingerprint(token), self._monotonic())

    def authenticate(self, token: str) -> Principal:
        """The key's principal; ``Unauthenticated`` for a malformed, unknown, revoked or wrong
        key. Blocks for argon2 unless the key is cached."""
        fingerprint, now = self._fingerprint(token), self._monotonic()
        with self._lock:
            hit = self._cached(fingerprint, now)
            if hit is not None:
                return hit
            running = self._verifying.get(fingerprint)
            if running is None:
                mine: Future[Principal] = Future()
                self._verifying[fingerprint] = mine
        if running is not None:  # another thread is verifying this very key: share its outcome
            return running.result()
        try:
            principal = self._verify(token)
        except BaseException as exc:
            with self._lock:
                del self._verifying[fingerprint]
            mine.set_exception(exc)
            raise
        with self._lock:
            self._remember(fingerprint, principal, expires=now + self._ttl_s)
            del self._verifying[fingerprint]
        mine.set_result(principal)
        return principal

    def _fingerprint(self, token: str) -> bytes:
        return hmac.new(self._pepper, token.encode(), hashlib.sha256).digest()

    def _cached(self, fingerprint: bytes, now: float) -> Principal | None:
        hit = self._cache.get(fingerprint)  # one dict read: atomic, no lock needed
        return hit[0] if hit is not None and hit[1] > now else None

    def _remember(self, fingerprint: bytes, principal: Principal, *, expires: float) -> None:
        """Cache a success until ``expires`` (under ``_lock``; nothing with a zero ttl)."""
        if self._ttl_s <= 0:
            return
        if len(self._cache) >= _MAX_CACHED:
            now = self._monotonic()
            self._cache = {f: v for f, v in self._cache.items() if v[1] > now}
        if len(self._cache) < _MAX_CACHED:
            self._cache[fingerprint] = (principal, expires)

    def _verify(self, token: str) -> Principal:
        parsed = parse_token(token)
        if parsed is None:
            raise Unauthenticated("malformed API key (expected ds_<key id>_<secret>)")
        key_id, secret = parsed
        key = self._keys.get(key_id)
        if key is None or key.revoked:
            raise Unauthenticated(f"API key {key_id} is unknown or revoked")
        try:
            self._hasher.verify(key.secret_hash, secret)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated(f"API key {key_id}: wrong secret") from None
        return Principal(key.key_id, key.role)
