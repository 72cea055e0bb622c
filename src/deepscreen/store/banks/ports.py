"""The BankStore port: hash banks and their entries, kept apart from the event log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypedDict, Unpack

from deepscreen.core.banks import Bank, BankEntry, BankPurpose, BankRemoval
from deepscreen.store.banks.rows import check_removal


class Removal(TypedDict):
    """``remove_item_entries``' keyword arguments, all required: the purpose of the banks to
    take the item's entries out of, and when, by whom and why."""

    purpose: BankPurpose
    removed_at: datetime
    removed_by: str
    reason: str


@dataclass(frozen=True, slots=True)
class CheckedRemoval:
    """A ``Removal`` checked, ``removed_at`` in UTC."""

    purpose: BankPurpose
    removed_at: datetime
    removed_by: str
    reason: str

    @classmethod
    def of(cls, **removal: Unpack[Removal]) -> CheckedRemoval:
        """``removed_at`` in UTC once who and why are checked (``InvalidInput``, as is a naive
        ``removed_at``); ``ValueError`` for an unknown purpose."""
        by, reason = removal["removed_by"], removal["reason"]
        at = check_removal(removal["removed_at"], by, reason)
        return cls(BankPurpose(removal["purpose"]), at, by, reason)


class BankStore(Protocol):
    """Named banks of PDQ hashes.

    Obligations:
    - ``create_bank`` raises ``BankExists`` when the name is taken; ``get_bank`` and every
      per-bank call raise ``BankNotFound`` for an unknown bank.
    - ``add_entries`` writes in one transaction, all or nothing, and is idempotent on
      (bank, hash_hex): an entry whose hash the bank already holds (or that repeats one earlier
      in the batch) is skipped, not updated; it returns how many entries were newly added.
      Every entry's ``bank`` must be ``bank_name`` (else ``InvalidInput``, nothing written).
    - Naive datetimes are refused with ``InvalidInput``; reads return times in UTC.
    - ``entries`` streams one bank in insertion order; ``entries_since`` streams every bank's
      entries after an exclusive sequence number (``None``: from the start), in increasing
      ``seq`` order, for incremental index updates. Numbers increase but may have gaps.
    - ``remove_item_entries`` takes every entry of ``item_id`` out of the banks of ``purpose``
      in one transaction, keeping each as a ``BankRemoval`` (who, when, why; read back by
      ``removals``); it returns them, and nothing when there are none (so it is idempotent).
      A removed entry is no longer counted, streamed by ``entries``/``entries_since`` or held:
      adding its hash again makes a new entry. Entries are never otherwise updated or deleted.
    - After ``close`` every call raises ``StoreUnavailable``.
    Don't: hold a transaction open across calls; swallow backend errors (raise
    ``StoreUnavailable``).
    """

    def create_bank(self, bank: Bank) -> None: ...

    def get_bank(self, name: str) -> Bank: ...

    def list_banks(self) -> list[tuple[Bank, int]]:
        """Every bank by name, with its number of entries."""
        ...

    def add_entries(self, bank_name: str, entries: Sequence[BankEntry]) -> int: ...

    def entries(self, bank_name: str) -> Iterator[BankEntry]: ...

    def entries_since(self, seq: int | None) -> Iterator[tuple[int, BankEntry]]: ...

    def remove_item_entries(
        self, item_id: str, **removal: Unpack[Removal]
    ) -> list[BankRemoval]: ...

    def removals(self, bank_name: str) -> list[BankRemoval]:
        """The entries removed from ``bank``, in the order they were removed."""
        ...

    def close(self) -> None: ...
