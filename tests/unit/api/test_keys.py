"""API keys: shown once, stored hashed, verified with a short-lived cache of successes."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Literal

import pytest
from argon2 import PasswordHasher

from deepscreen.api.testing import CHEAP_HASHER
from deepscreen.core.access import ApiKey, Principal, Role
from deepscreen.core.errors import InvalidInput, Unauthenticated
from deepscreen.service.audit import safe_details
from deepscreen.service.keys import KeyVerifier, create_key, parse_token, revoke_key
from deepscreen.store.access.memory import InMemoryAuditLog, InMemoryKeyStore

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


def test_cached_answers_only_keys_verified_within_the_ttl_without_reading_the_store() -> None:
    keys, ticks = CountingKeyStore(), Ticks()
    token = _new(keys)
    verifier = KeyVerifier(keys, ttl_s=30, monotonic=ticks)
    assert verifier.cached(token) is None  # never verified: the caller must authenticate
    principal = verifier.authenticate(token)
    assert verifier.cached(token) == principal
    assert verifier.cached(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    ticks.now += 31
    assert verifier.cached(token) is None
    assert keys.gets == 1  # cached() never reads the store nor runs argon2


class GatedHasher(PasswordHasher):
    """CHEAP_HASHER's parameters; ``verify`` counts calls and waits for ``release``."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.calls = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:  # noqa: A002
        self.calls += 1
        self.entered.set()
        assert self.release.wait(10)
        return super().verify(hash, password)


class CountingTicks(Ticks):
    """A clock that counts reads: ``authenticate`` reads it once, as it starts."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now


@pytest.mark.parametrize("wrong", [False, True])
def test_concurrent_first_requests_with_one_key_run_argon2_once(wrong: bool) -> None:
    keys, hasher, ticks = InMemoryKeyStore(), GatedHasher(), CountingTicks()
    token = _new(keys)
    if wrong:
        token = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    verifier = KeyVerifier(keys, ttl_s=30, hasher=hasher, monotonic=ticks)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(verifier.authenticate, token)
        assert hasher.entered.wait(10)  # the first verification is inside argon2 …
        others = [pool.submit(verifier.authenticate, token) for _ in range(3)]
        deadline = time.monotonic() + 10
        while ticks.reads < 4 and time.monotonic() < deadline:  # … and the others started
            time.sleep(0.01)
        time.sleep(0.05)  # slack for them to reach the wait (nothing is asserted on time)
        hasher.release.set()
        outcomes = [f.exception(10) or f.result() for f in [first, *others]]
    assert hasher.calls == 1  # the others shared the one verification's outcome
    if wrong:
        assert all(isinstance(o, Unauthenticated) for o in outcomes)
        assert verifier.cached(token) is None  # failures are never cached
    else:
        assert len(set(outcomes)) == 1 and verifier.cached(token) == outcomes[0]
