"""``InMemoryBankStore``: a full, thread-safe fake of the ``BankStore`` contract."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Unpack

from deepscreen.core.banks import Bank, BankEntry, BankRemoval
from deepscreen.core.errors import BankExists, BankNotFound
from deepscreen.store.banks.ports import CheckedRemoval, Removal
from deepscreen.store.banks.rows import (
    ENTRY_COLUMNS,
    check_bank,
    entry_rows,
    row_entry,
)
from deepscreen.store.memory import InMemoryStore


class InMemoryBankStore(InMemoryStore):
    """Banks in dicts behind a lock; entries pass the same checks as in ``SqlBankStore``."""

    closed_message = "in-memory bank store is closed"

    def __init__(self) -> None:
        super().__init__()
        self._banks: dict[str, Bank] = {}
        self._hashes: dict[str, dict[str, int]] = {}  # bank -> hash_hex -> seq
        self._log: list[tuple[int, BankEntry]] = []
        self._last_seq = 0  # never reused, even once the last entries are removed
        self._removed: list[BankRemoval] = []

    def __repr__(self) -> str:
        return f"InMemoryBankStore({len(self._banks)} banks, {len(self._log)} entries)"

    def create_bank(self, bank: Bank) -> None:
        stored = check_bank(bank)
        with self._lock:
            self._check_open()
            if bank.name in self._banks:
                raise BankExists(f"bank {bank.name!r} already exists")
            self._banks[bank.name] = stored
            self._hashes[bank.name] = {}

    def get_bank(self, name: str) -> Bank:
        with self._lock:
            self._check_open()
            return self._bank(name)

    def list_banks(self) -> list[tuple[Bank, int]]:
        with self._lock:
            self._check_open()
            return [(self._banks[n], len(self._hashes[n])) for n in sorted(self._banks)]

    def add_entries(self, bank_name: str, entries: Sequence[BankEntry]) -> int:
        rows = [dict(zip(ENTRY_COLUMNS, r, strict=True)) for r in entry_rows(bank_name, entries)]
        with self._lock:
            self._check_open()
            self._bank(bank_name)
            held = self._hashes[bank_name]
            added = 0
            for row in rows:
                if row["hash_hex"] in held:
                    continue
                self._last_seq += 1
                held[row["hash_hex"]] = self._last_seq
                self._log.append((self._last_seq, row_entry(row)))
                added += 1
            return added

    def entries(self, bank_name: str) -> Iterator[BankEntry]:
        with self._lock:
            self._check_open()
            self._bank(bank_name)
            log = list(self._log)  # a snapshot: later writes are not seen
        return (e for _, e in log if e.bank == bank_name)

    def entries_since(self, seq: int | None) -> Iterator[tuple[int, BankEntry]]:
        with self._lock:
            self._check_open()
            log = list(self._log)
        return ((s, e) for s, e in log if seq is None or s > seq)

    def remove_item_entries(self, item_id: str, **removal: Unpack[Removal]) -> list[BankRemoval]:
        r = CheckedRemoval.of(**removal)
        with self._lock:
            self._check_open()
            gone = {
                seq
                for seq, e in self._log
                if e.item_id == item_id and self._banks[e.bank].purpose is r.purpose
            }
            removed = [
                BankRemoval(entry, r.removed_at, r.removed_by, r.reason)
                for seq, entry in self._log
                if seq in gone
            ]
            for taken in removed:
                del self._hashes[taken.entry.bank][taken.entry.hash_hex]
            self._log = [(seq, e) for seq, e in self._log if seq not in gone]
            self._removed.extend(removed)
            return removed

    def removals(self, bank_name: str) -> list[BankRemoval]:
        with self._lock:
            self._check_open()
            self._bank(bank_name)
            return [r for r in self._removed if r.entry.bank == bank_name]

    def _bank(self, name: str) -> Bank:
        try:
            return self._banks[name]
        except KeyError:
            raise BankNotFound(f"bank {name!r} does not exist") from None
