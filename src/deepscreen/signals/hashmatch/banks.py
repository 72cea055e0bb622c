"""Banks held in memory for matching: per-bank purpose and threshold over one exact index."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.signals.hashmatch.index import BinaryHashIndex
from deepscreen.signals.hashmatch.pdq import hex_to_bits, hexes_to_array


@dataclass(frozen=True, slots=True)
class BankMatch:
    bank: str
    purpose: BankPurpose
    distance: int
    threshold: int
    hash_hex: str
    item_id: str | None
    added_by: str
    reason: str

    def to_evidence(self) -> dict[str, object]:
        return {
            "bank": self.bank,
            "purpose": self.purpose.value,
            "distance": self.distance,
            "threshold": self.threshold,
            "matched_hash": self.hash_hex,
            "banked_item": self.item_id,
            "added_by": self.added_by,
            "reason": self.reason,
        }


class BankMatcher:
    """Every bank's entries in one exact Hamming index; ``match`` applies each bank's own
    threshold. ``add`` is incremental and thread-safe, so a review can bank a hash while
    scans go on; when enough adds are pending the index merges them in a background thread
    (until then they are scanned, so results stay exact)."""

    def __init__(self) -> None:
        self._banks: dict[str, Bank] = {}
        self._entries: list[BankEntry] = []
        self._withdrawn: set[int] = set()  # positions of removed entries, skipped by match
        self._index = BinaryHashIndex(merge_in_background=True)
        self._lock = threading.Lock()

    def set_bank(self, bank: Bank) -> None:
        with self._lock:
            self._banks[bank.name] = bank

    def add(self, entries: Iterable[BankEntry]) -> int:
        """Index ``entries`` (their banks must have been set); returns how many were added."""
        batch = list(entries)
        if not batch:
            return 0
        unknown = {e.bank for e in batch} - set(self._banks)
        if unknown:
            raise KeyError(f"entries for banks not set in the matcher: {sorted(unknown)}")
        bits = hexes_to_array(e.hash_hex for e in batch)
        with self._lock:
            first = len(self._entries)
            self._entries.extend(batch)
            self._index.add(bits, list(range(first, first + len(batch))))
        return len(batch)

    def remove(self, entries: Iterable[BankEntry]) -> int:
        """Stop matching ``entries`` (by bank and hash: e.g. those an appeal's reversal took
        out of the bank store); returns how many indexed entries were withdrawn. The index
        keeps their bits — removals are rare — and ``match`` skips them."""
        gone = {(e.bank, e.hash_hex) for e in entries}
        if not gone:
            return 0
        with self._lock:
            found = {
                i
                for i, e in enumerate(self._entries)
                if (e.bank, e.hash_hex) in gone and i not in self._withdrawn
            }
            self._withdrawn |= found
        return len(found)

    def compact(self) -> None:
        """Merge recent adds into the main index (after a bulk load; safe while searching)."""
        self._index.rebuild()

    @property
    def bank_count(self) -> int:
        return len(self._banks)

    def __len__(self) -> int:
        return len(self._entries) - len(self._withdrawn)

    def match(self, hash_hex: str) -> list[BankMatch]:
        """Entries within their bank's threshold, nearest first."""
        if not self._banks or len(self) == 0:
            return []
        radius = max(b.threshold for b in self._banks.values())
        query = hex_to_bits(hash_hex)[np.newaxis, :]
        with self._lock:
            hits = self._index.search(query, radius)[0]
            found = [(self._entries[i], d) for i, d in hits if i not in self._withdrawn]
        matches = []
        for entry, distance in found:
            bank = self._banks[entry.bank]
            if distance <= bank.threshold:
                matches.append(
                    BankMatch(
                        bank.name,
                        bank.purpose,
                        distance,
                        bank.threshold,
                        entry.hash_hex,
                        entry.item_id,
                        entry.added_by,
                        entry.reason,
                    )
                )
        return matches
