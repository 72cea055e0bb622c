"""The contracts of the media ports, run over every adapter by ``tests/contract``: a test class
inherits one and provides a ``store`` fixture."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.errors import InvalidInput, StoreUnavailable
from deepscreen.store.media.ports import MediaGone, MediaStore, RetainedMedia, ReviewerPreferences

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DATA = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def record(item_id: str, data: bytes = DATA, *, days: float = 30) -> RetainedMedia:
    digest = hashlib.sha256(data).hexdigest()
    return RetainedMedia(item_id, "image/png", len(data), digest, T0, T0 + timedelta(days=days))


class MediaStoreContract:
    def test_a_copy_is_read_back_exactly(self, store: MediaStore) -> None:
        store.put(record("sha256:a"), DATA)
        kept = store.get("sha256:a")
        assert kept is not None and kept == (record("sha256:a"), DATA)
        assert store.info("sha256:a") == record("sha256:a")
        assert store.get("sha256:b") is None and store.info("sha256:b") is None

    def test_any_item_id_is_a_safe_key(self, store: MediaStore) -> None:
        odd = "../../etc/passwd:é/ \\x"
        store.put(record(odd), DATA)
        assert store.get(odd) == (record(odd), DATA)
        assert [m.item_id for m in store.records()] == [odd]

    def test_put_replaces_the_copy_of_the_same_item(self, store: MediaStore) -> None:
        store.put(record("a"), DATA)
        other = DATA[::-1]
        store.put(record("a", other), other)
        assert store.get("a") == (record("a", other), other)
        assert len(list(store.records())) == 1

    def test_delete_leaves_a_note_and_is_idempotent(self, store: MediaStore) -> None:
        store.put(record("a"), DATA)
        store.put(record("b"), DATA)
        assert store.delete("a", at=T0, reason="retention ended")
        assert store.get("a") is None
        assert store.info("a") == MediaGone("a", T0, "retention ended")
        assert not store.delete("a", at=T0 + timedelta(days=1), reason="again")
        assert store.info("a") == MediaGone("a", T0, "retention ended")
        assert [m.item_id for m in store.records()] == ["b"]
        assert [n.item_id for n in store.notes()] == ["a"]
        assert not store.delete("never-kept", at=T0, reason="x")
        assert store.info("never-kept") is None

    def test_put_after_delete_clears_the_note(self, store: MediaStore) -> None:
        store.put(record("a"), DATA)
        store.delete("a", at=T0, reason="erased")
        store.put(record("a"), DATA)
        assert store.info("a") == record("a") and list(store.notes()) == []

    def test_forget_notes_drops_only_older_ones(self, store: MediaStore) -> None:
        for i, item_id in enumerate(("old", "new")):
            store.put(record(item_id), DATA)
            store.delete(item_id, at=T0 + timedelta(days=10 * i), reason="retention ended")
        assert store.forget_notes(T0 + timedelta(days=5)) == 1
        assert [n.item_id for n in store.notes()] == ["new"]
        assert store.forget_notes(T0 + timedelta(days=5)) == 0

    def test_records_list_every_copy(self, store: MediaStore) -> None:
        for item_id in ("c", "a", "b"):
            store.put(record(item_id, days=1), DATA)
        assert sorted(m.item_id for m in store.records()) == ["a", "b", "c"]
        assert all(m.expires_at == T0 + timedelta(days=1) for m in store.records())


class ReviewerPreferencesContract:
    def test_unknown_reviewer_has_no_preferences(self, store: ReviewerPreferences) -> None:
        assert store.get("k1") == {}

    def test_set_replaces_and_is_per_reviewer(self, store: ReviewerPreferences) -> None:
        store.set("k1", {"wellness": {"blur": "always", "greyscale": "default"}}, at=T0)
        store.set("k2", {"wellness": {"blur": "never"}}, at=T0)
        store.set("k1", {"wellness": {"blur": "default", "greyscale": "always"}}, at=T0)
        assert store.get("k1") == {"wellness": {"blur": "default", "greyscale": "always"}}
        assert store.get("k2") == {"wellness": {"blur": "never"}}

    def test_returned_objects_are_copies(self, store: ReviewerPreferences) -> None:
        store.set("k1", {"wellness": {"blur": "always"}}, at=T0)
        got = store.get("k1")
        got["wellness"]["blur"] = "never"
        assert store.get("k1") == {"wellness": {"blur": "always"}}

    def test_naive_times_are_refused(self, store: ReviewerPreferences) -> None:
        with pytest.raises(InvalidInput):
            store.set("k1", {"wellness": {}}, at=datetime(2026, 3, 1))
        assert store.get("k1") == {}

    def test_closed_store_is_unavailable(self, store: ReviewerPreferences) -> None:
        store.close()
        with pytest.raises(StoreUnavailable):
            store.get("k1")
