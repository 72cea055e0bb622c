"""API keys: shown once, stored hashed, verified with a short-lived cache of successes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deepscreen.api.testing import CHEAP_HASHER
from deepscreen.core.access import ApiKey, Principal, Role
from deepscreen.core.errors import InvalidInput, Unauthenticated
from deepscreen.service.audit import safe_details
from deepscreen.service.keys import KeyVerifier, create_key, parse_token, revoke_key
from deepscreen.store.access_memory import InMemoryAuditLog, InMemoryKeyStore

T0 = datetime(2025, 3, 1, tzinfo=UTC)


class CountingKeyStore(InMemoryKeyStore):
    def __init__(self) -> None:
        super().__init__()
        self.gets = 0

    def get(self, key_id: str) -> ApiKey | None:
        self.gets += 1
        return super().get(key_id)


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _new(keys: InMemoryKeyStore, role: Role = Role.INGEST) -> str:
    created = create_key(
        keys,
        InMemoryAuditLog(),
        role=role,
        name="uploader",
        actor="cli",
        clock=lambda: T0,
        hasher=CHEAP_HASHER,
    )
    return created.token


def test_the_secret_is_shown_once_and_only_its_hash_is_stored() -> None:
    keys, audit = InMemoryKeyStore(), InMemoryAuditLog()
    created = create_key(
        keys,
        audit,
        role=Role.ANALYST,
        name="bi",
        actor="cli",
        clock=lambda: T0,
        hasher=CHEAP_HASHER,
    )
    parsed = parse_token(created.token)
    assert parsed is not None and parsed[0] == created.key.key_id
    stored = keys.get(created.key.key_id)
    assert stored is not None and stored.secret_hash.startswith("$argon2id$")
    assert parsed[1] not in stored.secret_hash and parsed[1] not in repr(stored)
    (entry,) = audit.entries()
    assert entry.action == "keys.create" and parsed[1] not in str(entry)


def test_a_key_needs_a_name() -> None:
    with pytest.raises(InvalidInput):
        create_key(
            InMemoryKeyStore(),
            InMemoryAuditLog(),
            role=Role.ADMIN,
            name=" ",
            actor="cli",
            clock=lambda: T0,
        )


@pytest.mark.parametrize(
    "token",
    [
        "",
        "ds_",
        "ds_xyz_" + "a" * 40,
        "ds_0123456789abcdef_short",
        "xx_0123456789abcdef_" + "a" * 40,
    ],
)
def test_malformed_keys_do_not_parse(token: str) -> None:
    assert parse_token(token) is None


def test_verification_is_cached_until_the_ttl_passes() -> None:
    keys, ticks = CountingKeyStore(), Ticks()
    token = _new(keys)
    verifier = KeyVerifier(keys, ttl_s=30, monotonic=ticks)
    first = verifier.authenticate(token)
    assert first == Principal(first.key_id, Role.INGEST)
    ticks.now += 29
    assert verifier.authenticate(token) == first
    assert keys.gets == 1
    ticks.now += 2
    verifier.authenticate(token)
    assert keys.gets == 2


def test_a_zero_ttl_verifies_every_time() -> None:
    keys = CountingKeyStore()
    token = _new(keys)
    verifier = KeyVerifier(keys, ttl_s=0)
    verifier.authenticate(token)
    verifier.authenticate(token)
    assert keys.gets == 2


def test_revoked_keys_are_refused_once_the_cache_entry_expires() -> None:
    keys, ticks = InMemoryKeyStore(), Ticks()
    token = _new(keys)
    verifier = KeyVerifier(keys, ttl_s=30, monotonic=ticks)
    verifier.authenticate(token)
    key_id = token.split("_")[1]
    revoke_key(keys, InMemoryAuditLog(), key_id, actor="cli", clock=lambda: T0)
    verifier.authenticate(token)  # still cached: the documented revocation delay
    ticks.now += 31
    with pytest.raises(Unauthenticated, match="revoked"):
        verifier.authenticate(token)


def test_wrong_secret_unknown_id_and_garbage_are_refused_and_never_cached() -> None:
    keys = CountingKeyStore()
    token = _new(keys)
    verifier = KeyVerifier(keys, ttl_s=30)
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (wrong, wrong, "ds_0123456789abcdef_" + "a" * 43, "garbage"):
        with pytest.raises(Unauthenticated):
            verifier.authenticate(bad)
    assert keys.gets == 3  # wrong twice (no negative cache) and the unknown id; garbage: none


def test_audit_details_never_keep_secrets_or_bytes() -> None:
    details = {"token": "x", "api_key": "y", "media": b"z", "n": 1, "nested": {"secret": 1, "a": 2}}
    assert safe_details(details) == {"n": 1, "nested": {"a": 2}}
