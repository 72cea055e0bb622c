"""Session cookies and CSRF tokens: signed, bound to their session, refused when touched."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.api.web.session import (
    ANONYMOUS_SECONDS,
    SIGNED_IN_SECONDS,
    SessionSigner,
    session_key,
)
from deepscreen.core.access import Principal, Role

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
ANN = Principal("0123456789abcdef", Role.REVIEWER)
SIGNER = SessionSigner(session_key(b"a secret of the app"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_session_round_trips_through_its_cookie() -> None:
    session = SIGNER.issue(NOW, ANN)
    assert SIGNER.loads(SIGNER.dumps(session), NOW) == session
    assert session.expires_at == int(NOW.timestamp()) + SIGNED_IN_SECONDS


def test_the_anonymous_pre_session_is_short_lived() -> None:
    session = SIGNER.issue(NOW)
    assert session.principal is None
    assert session.expires_at == int(NOW.timestamp()) + ANONYMOUS_SECONDS


def test_every_session_gets_a_new_id() -> None:
    assert SIGNER.issue(NOW, ANN).session_id != SIGNER.issue(NOW, ANN).session_id


def test_the_cookie_never_holds_more_than_ids() -> None:
    payload = SIGNER.dumps(SIGNER.issue(NOW, ANN)).split(".")[0]
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert set(body) == {"sid", "exp", "key", "role"}


def test_an_expired_session_is_refused() -> None:
    cookie = SIGNER.dumps(SIGNER.issue(NOW, ANN))
    assert SIGNER.loads(cookie, NOW + timedelta(seconds=SIGNED_IN_SECONDS - 1)) is not None
    assert SIGNER.loads(cookie, NOW + timedelta(seconds=SIGNED_IN_SECONDS)) is None


def test_a_payload_changed_under_its_mac_is_refused() -> None:
    payload, mac = SIGNER.dumps(SIGNER.issue(NOW, ANN)).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["role"] = "admin"
    forged = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    assert SIGNER.loads(f"{forged}.{mac}", NOW) is None


def test_a_cookie_signed_with_another_key_is_refused() -> None:
    other = SessionSigner(session_key(b"another app"))
    assert SIGNER.loads(other.dumps(other.issue(NOW, ANN)), NOW) is None


@pytest.mark.parametrize(
    "cookie", [None, "", "abc", "a.b.c", ".", "x" * 5000, "é.ü", "e30.AAAA", "!!!.???"]
)
def test_malformed_cookies_are_refused(cookie: str | None) -> None:
    assert SIGNER.loads(cookie, NOW) is None


def test_a_well_signed_but_malformed_payload_is_refused() -> None:
    payload = _b64(b'{"sid": "x"}')
    cookie = f"{payload}.{SIGNER._mac(b'cookie', payload.encode())}"
    assert SIGNER.loads(cookie, NOW) is None


def test_the_csrf_token_is_bound_to_its_session() -> None:
    mine, theirs = SIGNER.issue(NOW, ANN), SIGNER.issue(NOW, ANN)
    token = SIGNER.csrf_token(mine)
    assert SIGNER.csrf_valid(mine, token)
    assert not SIGNER.csrf_valid(theirs, token)
    assert not SIGNER.csrf_valid(mine, None)
    assert not SIGNER.csrf_valid(mine, "")
    assert not SIGNER.csrf_valid(mine, token + "é")


def test_the_csrf_token_differs_from_the_cookie_mac() -> None:
    session = SIGNER.issue(NOW, ANN)
    assert SIGNER.csrf_token(session) not in SIGNER.dumps(session)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SessionSigner(b"short")


def test_the_session_key_is_not_the_secret_itself() -> None:
    assert session_key(b"s" * 32) != b"s" * 32
    assert len(session_key(b"s")) == 32
