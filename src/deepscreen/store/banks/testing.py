"""The ``BankStore`` conformance kit: bank and entry factories and ``BankStoreContract``
(subclass it, give a ``store`` fixture yielding a fresh, empty store)."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.core.errors import BankExists, BankNotFound, InvalidInput, StoreUnavailable
from deepscreen.store.banks.ports import BankStore

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def make_bank(name: str = "deepfakes", purpose: BankPurpose = BankPurpose.BLOCK) -> Bank:
    return Bank(
        name=name,
        purpose=purpose,
        created_at=T0,
        created_by="analyst-1",
        threshold=28,
        description="confirmed deepfakes of public figures",
    )


def make_entry(bank: str, n: int, *, at: datetime = T0, reason: str = "confirmed") -> BankEntry:
    """Entry ``n`` of a bank: its hash is ``n`` in hex; odd entries carry every optional field."""
    full = n % 2 == 1
    return BankEntry(
        bank=bank,
        hash_hex=f"{n:064x}",
        added_at=at + timedelta(seconds=n),
        added_by="analyst-1",
        reason=reason,
        item_id=f"sha256:{n:064x}" if full else None,
        quality=90 if full else None,
        metadata={"source": "tip line", "case": f"c-{n}"} if full else {},
    )


def _hashes(entries: object) -> list[str]:
    return [e.hash_hex for e in entries]  # type: ignore[attr-defined]


def _count(store: BankStore, bank: str) -> int:
    return dict((b.name, n) for b, n in store.list_banks())[bank]


class BankStoreContract:
    """Behaviour every ``BankStore`` adapter must show; the fixture gives an empty store."""

    @pytest.fixture
    def store(self) -> BankStore:
        raise NotImplementedError("subclasses provide a fresh, empty store")

    def test_created_bank_reads_back_in_utc(self, store: BankStore) -> None:
        cet = timezone(timedelta(hours=1))
        bank = dataclasses.replace(make_bank(), created_at=T0.astimezone(cet))
        store.create_bank(bank)
        got = store.get_bank("deepfakes")
        assert got == bank and got.created_at.utcoffset() == timedelta(0)

    def test_create_bank_refuses_a_taken_name(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        with pytest.raises(BankExists, match="deepfakes"):
            store.create_bank(make_bank(purpose=BankPurpose.ALLOW))
        assert store.get_bank("deepfakes").purpose is BankPurpose.BLOCK

    def test_unknown_bank_raises_bank_not_found(self, store: BankStore) -> None:
        with pytest.raises(BankNotFound, match="missing"):
            store.get_bank("missing")
        with pytest.raises(BankNotFound):
            store.add_entries("missing", [make_entry("missing", 1)])
        with pytest.raises(BankNotFound):
            store.entries("missing")

    def test_list_banks_by_name_with_entry_counts(self, store: BankStore) -> None:
        assert store.list_banks() == []
        store.create_bank(make_bank("zeta"))
        store.create_bank(make_bank("alpha", BankPurpose.ALLOW))
        store.add_entries("zeta", [make_entry("zeta", n) for n in range(3)])
        got = store.list_banks()
        assert [(b.name, n) for b, n in got] == [("alpha", 0), ("zeta", 3)]
        assert got[0][0] == make_bank("alpha", BankPurpose.ALLOW)

    def test_entries_round_trip_in_insertion_order(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        cet = timezone(timedelta(hours=1))
        batch = [make_entry("deepfakes", n, at=T0.astimezone(cet)) for n in (5, 2, 9, 4)]
        assert store.add_entries("deepfakes", batch) == 4
        got = list(store.entries("deepfakes"))
        assert got == batch
        assert all(e.added_at.utcoffset() == timedelta(0) for e in got)

    def test_add_entries_skips_hashes_already_banked(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        first = [make_entry("deepfakes", n) for n in range(3)]
        assert store.add_entries("deepfakes", first) == 3
        again = [make_entry("deepfakes", n, reason="re-reported") for n in range(1, 5)]
        assert store.add_entries("deepfakes", again) == 2
        assert store.add_entries("deepfakes", again) == 0
        got = list(store.entries("deepfakes"))
        assert _hashes(got) == _hashes(first + again[2:])
        assert [e.reason for e in got] == ["confirmed"] * 3 + ["re-reported"] * 2

    def test_add_entries_counts_a_hash_repeated_in_the_batch_once(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        one = make_entry("deepfakes", 1)
        assert store.add_entries("deepfakes", [one, make_entry("deepfakes", 2), one]) == 2
        assert _count(store, "deepfakes") == 2

    def test_same_hash_may_sit_in_two_banks(self, store: BankStore) -> None:
        store.create_bank(make_bank("a"))
        store.create_bank(make_bank("b", BankPurpose.ALLOW))
        assert store.add_entries("a", [make_entry("a", 7)]) == 1
        assert store.add_entries("b", [make_entry("b", 7)]) == 1
        assert _hashes(store.entries("a")) == _hashes(store.entries("b"))

    def test_add_entries_is_all_or_nothing(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        store.create_bank(make_bank("other"))
        good = [make_entry("deepfakes", n) for n in range(10, 20)]
        naive = dataclasses.replace(good[0], hash_hex=f"{99:064x}", added_at=datetime(2025, 1, 1))
        bad_entries = [
            naive,
            make_entry("other", 98),
            dataclasses.replace(good[0], hash_hex=f"{97:064x}", quality=101),
            dataclasses.replace(good[0], hash_hex=f"{96:064x}", reason="nul\x00"),
            dataclasses.replace(good[0], hash_hex=f"{95:064x}", metadata={"k": 1}),  # type: ignore[dict-item]
        ]
        for bad in bad_entries:
            with pytest.raises(InvalidInput):
                store.add_entries("deepfakes", [*good, bad])
        with pytest.raises(InvalidInput, match="naive|timezone"):
            store.add_entries("deepfakes", [naive])
        assert list(store.entries("deepfakes")) == []

    def test_add_entries_writes_nothing_when_a_late_entry_is_bad(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        batch = [make_entry("deepfakes", n) for n in range(7_000)]
        batch.append(dataclasses.replace(batch[0], hash_hex="f" * 64, quality=-1))
        with pytest.raises(InvalidInput, match="quality"):
            store.add_entries("deepfakes", batch)
        assert _count(store, "deepfakes") == 0

    def test_naive_created_at_is_refused(self, store: BankStore) -> None:
        with pytest.raises(InvalidInput, match="timezone"):
            store.create_bank(dataclasses.replace(make_bank(), created_at=datetime(2025, 1, 1)))
        assert store.list_banks() == []

    def test_entries_since_is_exclusive_across_banks(self, store: BankStore) -> None:
        store.create_bank(make_bank("a"))
        store.create_bank(make_bank("b"))
        store.add_entries("a", [make_entry("a", 1), make_entry("a", 2)])
        store.add_entries("b", [make_entry("b", 3)])
        seen = list(store.entries_since(None))
        seqs = [seq for seq, _ in seen]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        assert [(e.bank, e.hash_hex[-1]) for _, e in seen] == [("a", "1"), ("a", "2"), ("b", "3")]
        store.add_entries("a", [make_entry("a", 4)])
        assert _hashes(e for _, e in store.entries_since(seqs[0])) == _hashes(
            [make_entry("a", 2), make_entry("b", 3), make_entry("a", 4)]
        )
        assert list(store.entries_since(max(seq for seq, _ in store.entries_since(None)))) == []

    def test_large_batch_keeps_order_and_counts(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        batch = [make_entry("deepfakes", n, at=T0) for n in range(12_000, 0, -1)]
        assert store.add_entries("deepfakes", batch) == 12_000
        overlap = [make_entry("deepfakes", n) for n in range(11_001, 13_001)]
        assert store.add_entries("deepfakes", overlap) == 1000
        assert _hashes(store.entries("deepfakes")) == _hashes(batch + overlap[1000:])

    def test_concurrent_adds_of_one_batch_add_it_once(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        batch = [make_entry("deepfakes", n) for n in range(200)]
        barrier = threading.Barrier(2)

        def add() -> int:
            barrier.wait()
            return store.add_entries("deepfakes", batch)

        with ThreadPoolExecutor(2) as pool:
            added = [f.result() for f in [pool.submit(add), pool.submit(add)]]
        assert sum(added) == 200 and _count(store, "deepfakes") == 200

    def test_remove_item_entries_takes_the_items_block_entries_out(self, store: BankStore) -> None:
        store.create_bank(make_bank("deepfakes"))
        store.create_bank(make_bank("other_block"))
        store.create_bank(make_bank("originals", BankPurpose.ALLOW))
        item = f"sha256:{1:064x}"  # make_entry(…, 1) carries this item id
        frame = dataclasses.replace(make_entry("deepfakes", 3), item_id=item)
        store.add_entries(
            "deepfakes", [make_entry("deepfakes", 1), make_entry("deepfakes", 2), frame]
        )
        store.add_entries("other_block", [make_entry("other_block", 1)])
        store.add_entries("originals", [make_entry("originals", 1)])
        paris = timezone(timedelta(hours=2))
        at = (T0 + timedelta(days=3)).astimezone(paris)

        removed = store.remove_item_entries(
            item,
            purpose=BankPurpose.BLOCK,
            removed_at=at,
            removed_by="bo",
            reason="appeal reversed",
        )
        assert sorted((r.entry.bank, r.entry.hash_hex[-1]) for r in removed) == [
            ("deepfakes", "1"),
            ("deepfakes", "3"),
            ("other_block", "1"),
        ]
        assert {(r.removed_at, r.removed_by, r.reason) for r in removed} == {
            (T0 + timedelta(days=3), "bo", "appeal reversed")
        }
        assert removed[0].removed_at.tzinfo == UTC
        assert _hashes(store.entries("deepfakes")) == [make_entry("deepfakes", 2).hash_hex]
        assert _count(store, "deepfakes") == 1 and _count(store, "other_block") == 0
        assert _count(store, "originals") == 1  # allow banks are not touched
        assert all(e.item_id != item or e.bank == "originals" for _, e in store.entries_since(None))
        assert store.removals("deepfakes") == [r for r in removed if r.entry.bank == "deepfakes"]
        assert store.removals("deepfakes")[0].entry == make_entry("deepfakes", 1)
        assert store.removals("originals") == []
        again = store.remove_item_entries(
            item, purpose=BankPurpose.BLOCK, removed_at=at, removed_by="bo", reason="again"
        )
        assert again == [] and len(store.removals("deepfakes")) == 2

    def test_a_removed_hash_can_be_banked_again_as_a_new_entry(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        store.add_entries("deepfakes", [make_entry("deepfakes", 1), make_entry("deepfakes", 2)])
        last = max(seq for seq, _ in store.entries_since(None))
        store.remove_item_entries(
            f"sha256:{1:064x}",
            purpose=BankPurpose.BLOCK,
            removed_at=T0,
            removed_by="bo",
            reason="appeal reversed",
        )
        assert store.add_entries("deepfakes", [make_entry("deepfakes", 1)]) == 1
        [(seq, entry)] = list(store.entries_since(last))
        assert seq > last and entry == make_entry("deepfakes", 1)

    def test_remove_item_entries_refuses_naive_times_and_bad_text(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        store.add_entries("deepfakes", [make_entry("deepfakes", 1)])
        item = f"sha256:{1:064x}"
        for at, by in [(datetime(2025, 1, 1), "bo"), (T0, "b\x00o")]:
            with pytest.raises(InvalidInput):
                store.remove_item_entries(
                    item, purpose=BankPurpose.BLOCK, removed_at=at, removed_by=by, reason="r"
                )
        assert _count(store, "deepfakes") == 1 and store.removals("deepfakes") == []
        with pytest.raises(BankNotFound):
            store.removals("nope")

    def test_calls_after_close_raise_store_unavailable(self, store: BankStore) -> None:
        store.create_bank(make_bank())
        store.close()
        with pytest.raises(StoreUnavailable):
            store.get_bank("deepfakes")
        with pytest.raises(StoreUnavailable):
            store.add_entries("deepfakes", [make_entry("deepfakes", 1)])
        with pytest.raises(StoreUnavailable):
            store.list_banks()
