"""Checks both bank adapters apply before any write, so that they refuse the same inputs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from deepscreen.core.banks import Bank, BankEntry, BankPurpose, BankRemoval
from deepscreen.core.errors import InvalidInput
from deepscreen.store.times import STORES_AWARE_ONLY, require_aware_datetime, stored_utc

NOT_AWARE = "{what}: {value!r} is not a timezone-aware datetime" + STORES_AWARE_ONLY


def check_bank(bank: Bank) -> Bank:
    """The bank as it will read back (``created_at`` in UTC), or ``InvalidInput``."""
    where = f"bank {bank.name!r}"
    if not isinstance(bank.purpose, BankPurpose):
        raise InvalidInput(f"{where}: purpose {bank.purpose!r} is not one of block, allow")
    for name in ("created_by", "description", "signal_type"):
        _check_text(getattr(bank, name), f"{where}: {name}")
    return Bank(
        name=bank.name,
        purpose=bank.purpose,
        created_at=require_aware_datetime(bank.created_at, f"{where}: created_at", NOT_AWARE),
        created_by=bank.created_by,
        threshold=bank.threshold,
        description=bank.description,
        signal_type=bank.signal_type,
    )


ENTRY_COLUMNS = (
    "bank",
    "hash_hex",
    "item_id",
    "added_by",
    "added_at",
    "reason",
    "quality",
    "metadata",
)


def entry_rows(
    bank_name: str, entries: Iterable[BankEntry], times: dict[datetime, datetime] | None = None
) -> list[tuple[Any, ...]]:
    """The ``bank_entries`` values of each entry in ``ENTRY_COLUMNS`` order, or ``InvalidInput``.

    Written for a million entries: a time shared by many entries is converted once (``times``
    caches the conversions across calls).
    """
    times = {} if times is None else times
    rows = []
    for entry in entries:
        added_at = times.get(entry.added_at)
        if added_at is None:
            added_at = times[entry.added_at] = require_aware_datetime(
                entry.added_at, _where(entry, "added_at"), NOT_AWARE
            )
        if entry.bank != bank_name:
            raise InvalidInput(f"{_where(entry, 'bank')} {entry.bank!r} is not {bank_name!r}")
        quality = entry.quality
        if quality is not None and (type(quality) is not int or not 0 <= quality <= 100):
            raise InvalidInput(
                f"{_where(entry, 'quality')} {quality!r} must be an integer in [0, 100]"
            )
        item_id = entry.item_id
        if not (
            _is_text(entry.added_by)
            and _is_text(entry.reason)
            and (item_id is None or _is_text(item_id))
        ):
            raise InvalidInput(
                f"{_where(entry, 'added_by, reason, item_id')} {entry.added_by!r},"
                f" {entry.reason!r}, {item_id!r} must be strings without NUL characters"
            )
        metadata = encode_metadata(entry.metadata, _where(entry, "")) if entry.metadata else "{}"
        rows.append(
            (
                bank_name,
                entry.hash_hex,
                entry.item_id,
                entry.added_by,
                added_at,
                entry.reason,
                quality,
                metadata,
            )
        )
    return rows


def _where(entry: BankEntry, field: str) -> str:
    return f"entry {entry.hash_hex!r}: {field}".rstrip(": ")


def row_bank(row: Mapping[Any, Any]) -> Bank:
    """A ``banks`` row as ``get_bank`` returns it."""
    return Bank(
        name=row["name"],
        purpose=BankPurpose(row["purpose"]),
        created_at=stored_utc(row["created_at"]),
        created_by=row["created_by"],
        threshold=row["threshold"],
        description=row["description"],
        signal_type=row["signal_type"],
    )


def row_entry(row: Mapping[Any, Any], times: dict[datetime, datetime] | None = None) -> BankEntry:
    """A ``bank_entries`` row (or ``entry_rows`` values zipped with their columns) as reads
    return; ``times`` caches time conversions across rows (imported entries share one time)."""
    stored: datetime = row["added_at"]
    added_at = times.get(stored) if times is not None else None
    if added_at is None:
        added_at = stored_utc(stored)
        if times is not None:
            times[stored] = added_at
    return BankEntry(
        bank=row["bank"],
        hash_hex=row["hash_hex"],
        added_at=added_at,
        added_by=row["added_by"],
        reason=row["reason"],
        item_id=row["item_id"],
        quality=row["quality"],
        metadata={} if row["metadata"] == "{}" else json.loads(row["metadata"]),
    )


def check_removal(removed_at: datetime, removed_by: str, reason: str) -> datetime:
    """``removed_at`` in UTC once who and why are checked, or ``InvalidInput``."""
    _check_text(removed_by, "removal: removed_by")
    _check_text(reason, "removal: reason")
    return require_aware_datetime(removed_at, "removal: removed_at", NOT_AWARE)


def removal_values(
    row: Mapping[Any, Any], removed_at: datetime, removed_by: str, reason: str
) -> dict[str, Any]:
    """The ``bank_removals`` row of a ``bank_entries`` row taken out of its bank."""
    return {
        **{column: row[column] for column in ENTRY_COLUMNS},
        "removed_at": removed_at,
        "removed_by": removed_by,
        "removal_reason": reason,
    }


def row_removal(row: Mapping[Any, Any]) -> BankRemoval:
    """A ``bank_removals`` row (or ``removal_values``) as reads return it."""
    return BankRemoval(
        entry=row_entry(row),
        removed_at=stored_utc(row["removed_at"]),
        removed_by=row["removed_by"],
        reason=row["removal_reason"],
    )


def encode_metadata(metadata: Mapping[str, str], where: str) -> str:
    if not isinstance(metadata, Mapping):
        raise InvalidInput(f"{where}: metadata {metadata!r} must be a mapping of strings")
    if not metadata:
        return "{}"
    for key, value in metadata.items():
        _check_text(key, f"{where}: metadata key")
        _check_text(value, f"{where}: metadata[{key!r}]")
    return json.dumps(dict(metadata), ensure_ascii=False, separators=(",", ":"))


def _is_text(value: object) -> bool:
    # PostgreSQL text cannot hold NUL; refusing it everywhere keeps the adapters alike.
    return type(value) is str and "\x00" not in value


def _check_text(value: object, where: str) -> None:
    if not _is_text(value):
        raise InvalidInput(f"{where} {value!r} must be a string without NUL characters")
