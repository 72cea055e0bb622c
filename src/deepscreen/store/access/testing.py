"""Conformance kits of the access ports (``KeyStoreContract``, ``AuditLogContract``,
``SessionRevocationsContract``): subclass one, give a ``store`` fixture yielding an empty store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from deepscreen.core.access import ApiKey, AuditEntry, Role
from deepscreen.core.errors import InvalidInput, NotFound, StoreUnavailable
from deepscreen.store.access.ports import AuditLog, KeyStore, SessionRevocations

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def make_key(key_id: str = "k1", role: Role = Role.INGEST, *, minutes: int = 0) -> ApiKey:
    return ApiKey(
        key_id=key_id,
        role=role,
        name=f"key {key_id}",
        created_at=T0 + timedelta(minutes=minutes),
        secret_hash="$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA",
    )


class KeyStoreContract:
    def test_add_then_get_returns_the_same_key(self, store: KeyStore) -> None:
        key = make_key()
        store.add(key)
        assert store.get("k1") == key
        assert store.get("nope") is None

    def test_add_refuses_a_key_id_already_stored(self, store: KeyStore) -> None:
        store.add(make_key())
        with pytest.raises(InvalidInput):
            store.add(make_key(role=Role.ADMIN))
        assert store.get("k1") == make_key()

    def test_list_in_creation_order(self, store: KeyStore) -> None:
        store.add(make_key("b", minutes=2))
        store.add(make_key("a", minutes=1))
        assert [k.key_id for k in store.list()] == ["a", "b"]

    def test_revoke_keeps_the_first_time(self, store: KeyStore) -> None:
        store.add(make_key())
        first = store.revoke("k1", T0 + timedelta(hours=1))
        again = store.revoke("k1", T0 + timedelta(hours=2))
        assert first.revoked_at == again.revoked_at == T0 + timedelta(hours=1)
        stored = store.get("k1")
        assert stored is not None and stored.revoked

    def test_revoke_of_an_unknown_key_is_not_found(self, store: KeyStore) -> None:
        with pytest.raises(NotFound):
            store.revoke("nope", T0)

    def test_times_read_back_in_utc(self, store: KeyStore) -> None:
        paris = timezone(timedelta(hours=2))
        store.add(make_key())
        store.revoke("k1", datetime(2025, 3, 1, 16, 0, tzinfo=paris))
        stored = store.get("k1")
        assert stored is not None and stored.revoked_at == datetime(2025, 3, 1, 14, 0, tzinfo=UTC)
        assert stored.revoked_at.utcoffset() == timedelta(0)

    def test_naive_times_are_refused(self, store: KeyStore) -> None:
        with pytest.raises(InvalidInput):
            store.add(ApiKey("k2", Role.ADMIN, "n", datetime(2025, 1, 1), "h"))

    def test_closed_store_is_unavailable(self, store: KeyStore) -> None:
        store.close()
        with pytest.raises(StoreUnavailable):
            store.get("k1")


def make_entry(n: int, actor: str = "k1") -> AuditEntry:
    return AuditEntry(
        occurred_at=T0 + timedelta(seconds=n),
        actor=actor,
        action="items.submit",
        target=f"job_{n}",
        details={"n": n, "attributes": ["category"]},
    )


class AuditLogContract:
    def test_entries_in_append_order(self, store: AuditLog) -> None:
        for n in (3, 1, 2):
            store.append(make_entry(n))
        assert [e.target for e in store.entries()] == ["job_3", "job_1", "job_2"]
        assert store.entries()[0] == make_entry(3)

    def test_entries_filter_by_actor_and_paginate(self, store: AuditLog) -> None:
        for n in range(5):
            store.append(make_entry(n, actor="a" if n % 2 else "b"))
        assert [e.target for e in store.entries(actor="a")] == ["job_1", "job_3"]
        assert [e.target for e in store.entries(limit=2, offset=1)] == ["job_1", "job_2"]

    def test_details_that_json_cannot_hold_are_refused(self, store: AuditLog) -> None:
        entry = AuditEntry(T0, "k1", "x", "y", {"nan": float("nan")})
        with pytest.raises(InvalidInput):
            store.append(entry)
        assert store.entries() == []

    def test_naive_time_is_refused(self, store: AuditLog) -> None:
        with pytest.raises(InvalidInput):
            store.append(AuditEntry(datetime(2025, 1, 1), "k1", "x", "y"))


class SessionRevocationsContract:
    def test_a_revoked_session_is_revoked_and_no_other(self, store: SessionRevocations) -> None:
        assert not store.is_revoked("s1")
        store.revoke("s1", T0 + timedelta(hours=8), T0)
        assert store.is_revoked("s1")
        assert not store.is_revoked("s2")

    def test_revoking_again_is_a_no_op(self, store: SessionRevocations) -> None:
        store.revoke("s1", T0 + timedelta(hours=8), T0)
        store.revoke("s1", T0 + timedelta(hours=9), T0 + timedelta(minutes=5))
        assert store.is_revoked("s1")

    def test_forgetting_expired_ids_keeps_every_live_one(self, store: SessionRevocations) -> None:
        store.revoke("old", T0 + timedelta(hours=1), T0)
        store.revoke("live", T0 + timedelta(hours=8), T0)
        store.revoke("new", T0 + timedelta(hours=10), T0 + timedelta(hours=2))
        assert store.is_revoked("live") and store.is_revoked("new")
        # "old" may be forgotten: its cookie expired at T0 + 1 h and is refused for that

    def test_times_in_any_zone_are_compared_as_instants(self, store: SessionRevocations) -> None:
        store.revoke("s1", datetime(2025, 3, 1, 14, 0, tzinfo=UTC), T0)
        paris = timezone(timedelta(hours=2))
        # 15:30 in Paris is 13:30 UTC, before s1's expiry: s1 must be kept
        store.revoke("s2", T0 + timedelta(hours=8), datetime(2025, 3, 1, 15, 30, tzinfo=paris))
        assert store.is_revoked("s1")

    def test_naive_times_are_refused(self, store: SessionRevocations) -> None:
        with pytest.raises(InvalidInput):
            store.revoke("s1", datetime(2025, 1, 1), T0)
        assert not store.is_revoked("s1")

    def test_closed_store_is_unavailable(self, store: SessionRevocations) -> None:
        store.close()
        with pytest.raises(StoreUnavailable):
            store.is_revoked("s1")
