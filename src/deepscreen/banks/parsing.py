"""What both bank file parsers share: field checks, the error log, and building the entries."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from deepscreen.core.banks import BankEntry
from deepscreen.core.errors import BankFileInvalid

MAX_LISTED_ERRORS = 20
NO_METADATA: Mapping[str, str] = MappingProxyType({})  # shared: most entries have none
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX = frozenset("0123456789abcdef")


class Row(NamedTuple):
    """One parsed line, before it becomes a ``BankEntry``: fields only, no bank yet."""

    hash_hex: str
    item_id: str | None
    added_by: str
    added_at: datetime
    reason: str
    quality: int | None
    metadata: Mapping[str, str]


class ErrorLog:
    """Collects ``line N: problem`` messages; keeps the first ``limit``, counts them all."""

    def __init__(self, source: str, limit: int = MAX_LISTED_ERRORS) -> None:
        self.source = source
        self.limit = limit
        self.shown: list[str] = []
        self.total = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if len(self.shown) < self.limit:
            self.shown.append(f"line {line}: {message}")

    def raise_if_any(self) -> None:
        if self.total:
            raise BankFileInvalid(self.source, self.shown, total_errors=self.total)


class Duplicates:
    """Remembers the line of each hash, so that a repeat names both lines."""

    def __init__(self) -> None:
        self.first_line: dict[str, int] = {}

    def check(self, hash_hex: str, line: int) -> str | None:
        first = self.first_line.setdefault(hash_hex, line)
        return None if first == line else self.message(hash_hex, first)

    @staticmethod
    def message(hash_hex: str, first: int) -> str:
        return f"hash {hash_hex!r} repeats line {first}"


def quote(value: str, limit: int = 80) -> str:
    """``repr`` of a value from the file, cut to ``limit`` characters for messages."""
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


def is_hex_bytes(text: str) -> bool:
    """Exactly 32 bytes of hex digits in any case (``bytes.fromhex`` is twice a regex's speed)."""
    try:
        return len(bytes.fromhex(text)) == 32 and len(text) == 64
    except ValueError:
        return False


def is_hex(value: str) -> bool:
    """Only hex digits, in any case (so possibly a broken hash rather than a word)."""
    return _HEX.issuperset(value.lower())


def pdq_hex(text: str) -> str:
    """64 lowercase hex digits from ``text`` (stripped, any case), or ValueError quoting it."""
    value = text.strip().lower()
    if _HEX64.fullmatch(value):
        return value
    if not _HEX.issuperset(value):
        raise ValueError(f"{quote(text)} is not a PDQ hash: it has characters other than 0-9a-f")
    raise ValueError(f"{quote(text)} is not a PDQ hash: {len(value)} hex digits, expected 64")


def quality(text: str) -> int | None:
    """PDQ quality 0..100 from text; empty means unknown."""
    value = text.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > 100:
        raise ValueError(f"quality {quote(text)} is not an integer in 0..100")
    return int(value)


def timestamp(text: str) -> datetime:
    """An ISO 8601 time with a UTC offset (``Z`` allowed); a naive time is refused."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"added_at {quote(text)} is not an ISO 8601 time") from None
    if value.utcoffset() is None:
        raise ValueError(
            f"added_at {quote(text)} has no UTC offset (write e.g. 2025-03-01T12:00:00Z)"
        )
    return value


def text_field(name: str, text: str) -> str:
    if "\x00" in text:
        raise ValueError(f"{name} {quote(text)} holds a NUL character")
    return text


def to_entries(bank: str, rows: list[Row]) -> list[BankEntry]:
    """The entries of an error-free file, in file order; ``rows`` is consumed.

    Each row is replaced in place by its entry, so a million-line file never holds both.
    """
    entries = cast(list[Any], rows)
    for i, r in enumerate(rows):
        entries[i] = BankEntry(
            bank=bank,
            hash_hex=r.hash_hex,
            added_at=r.added_at,
            added_by=r.added_by,
            reason=r.reason,
            item_id=r.item_id,
            quality=r.quality,
            metadata=r.metadata,
        )
    return cast(list[BankEntry], entries)
