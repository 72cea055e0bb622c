"""Bank matching: each bank's own threshold, nearest first, purpose carried through."""

from __future__ import annotations

from datetime import UTC, datetime

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.signals.hashmatch.banks import BankMatcher

NOW = datetime(2025, 3, 1, tzinfo=UTC)
PROBE = "0" * 64


def flipped(bits: int) -> str:
    """A hash ``bits`` Hamming-distance away from PROBE."""
    return f"{(1 << bits) - 1:064x}"


def bank(name: str, purpose: BankPurpose, threshold: int, *distances: int):
    entries = [
        BankEntry(name, flipped(d), NOW, "ana", reason=f"d{d}", item_id=f"item-{d}")
        for d in distances
    ]
    return Bank(name, purpose, NOW, "ana", threshold=threshold), entries


def match_hash(probe: str, banks) -> list:
    matcher = BankMatcher()
    for b, entries in banks:
        matcher.set_bank(b)
        matcher.add(entries)
    return matcher.match(probe)


def test_match_hash_applies_each_banks_threshold_nearest_first() -> None:
    banks = [
        bank("fakes", BankPurpose.BLOCK, 31, 40, 31, 3),
        bank("originals", BankPurpose.ALLOW, 10, 0, 11),
    ]
    got = match_hash(PROBE, banks)
    assert [(m.bank, m.distance) for m in got] == [("originals", 0), ("fakes", 3), ("fakes", 31)]
    assert got[0].purpose is BankPurpose.ALLOW and got[0].threshold == 10
    assert (got[1].hash_hex, got[1].item_id, got[1].reason) == (flipped(3), "item-3", "d3")


def test_match_hash_finds_nothing_in_empty_banks() -> None:
    assert match_hash(PROBE, []) == []
    assert match_hash(PROBE, [bank("fakes", BankPurpose.BLOCK, 31)]) == []


def test_removed_entries_stop_matching_and_a_readded_hash_matches_again() -> None:
    fakes, entries = bank("fakes", BankPurpose.BLOCK, 31, 3, 5)
    originals, kept = bank("originals", BankPurpose.ALLOW, 31, 3)
    matcher = BankMatcher()
    for b, e in [(fakes, entries), (originals, kept)]:
        matcher.set_bank(b)
        matcher.add(e)
    assert matcher.remove([entries[0]]) == 1 and len(matcher) == 2
    assert [(m.bank, m.distance) for m in matcher.match(PROBE)] == [("originals", 3), ("fakes", 5)]
    assert matcher.remove([entries[0]]) == 0  # already withdrawn
    matcher.add([entries[0]])  # banked again (say, a new confirmation): matched again
    assert sorted((m.bank, m.distance) for m in matcher.match(PROBE)) == [
        ("fakes", 3),
        ("fakes", 5),
        ("originals", 3),
    ]
