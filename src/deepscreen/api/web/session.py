"""Signed session cookies and the CSRF tokens bound to them (HMAC-SHA256, stdlib only): the cookie
format, why the signer stores nothing, and how a session ends (revoked on logout in the
database) are in docs/internals/api.md."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.access import Principal, Role

COOKIE = "ds_ui_session"
SIGNED_IN_SECONDS = 8 * 3600  # a working shift; then sign in again
ANONYMOUS_SECONDS = 3600  # the login form's pre-session (its CSRF token)
_KDF_SALT = b"deepscreen.api.web session key v1"
_MAX_COOKIE_CHARS = 1024


@dataclass(frozen=True, slots=True)
class Session:
    """``principal`` None: the anonymous pre-session of the login form."""

    session_id: str
    expires_at: int  # Unix seconds
    principal: Principal | None = None


def session_key(secret: bytes) -> bytes:
    """The signing key derived from an app secret (HKDF-extract: HMAC keyed by a fixed salt,
    so the key differs from anything else computed with the same secret)."""
    return hmac.new(_KDF_SALT, secret, hashlib.sha256).digest()


class SessionSigner:
    """Issue and check session cookies and CSRF tokens under one key. Thread-safe (no state)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("a session key needs at least 32 bytes")
        self._key = key

    def issue(self, now: datetime, principal: Principal | None = None) -> Session:
        """A new session with a fresh id (a login never keeps the pre-session's id)."""
        lifetime = ANONYMOUS_SECONDS if principal is None else SIGNED_IN_SECONDS
        return Session(secrets.token_urlsafe(18), int(now.timestamp()) + lifetime, principal)

    def dumps(self, session: Session) -> str:
        principal = session.principal
        body = {
            "sid": session.session_id,
            "exp": session.expires_at,
            "key": principal.key_id if principal else None,
            "role": principal.role.value if principal else None,
        }
        payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
        return f"{payload}.{self._mac(b'cookie', payload.encode())}"

    def loads(self, cookie: str | None, now: datetime) -> Session | None:
        """The session a cookie carries; None when absent, malformed, forged or expired."""
        if not cookie or len(cookie) > _MAX_COOKIE_CHARS or cookie.count(".") != 1:
            return None
        payload, mac = cookie.split(".")
        if not _same(mac, self._mac(b"cookie", payload.encode())):
            return None
        try:
            body = json.loads(_unb64(payload))
            session = Session(
                str(body["sid"]),
                int(body["exp"]),
                None if body["key"] is None else Principal(str(body["key"]), Role(body["role"])),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        return session if now.timestamp() < session.expires_at else None

    def csrf_token(self, session: Session) -> str:
        return self._mac(b"csrf", session.session_id.encode())

    def csrf_valid(self, session: Session, token: str | None) -> bool:
        return bool(token) and _same(str(token), self.csrf_token(session))

    def _mac(self, purpose: bytes, data: bytes) -> str:
        return _b64(hmac.new(self._key, purpose + b"\x00" + data, hashlib.sha256).digest())


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (never equal then)."""
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("ascii"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
