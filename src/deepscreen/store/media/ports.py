"""The ports of media kept for reviewers: ``MediaStore`` (an item's bytes for a while, a record
of them, a ``MediaGone`` note once deleted) and ``ReviewerPreferences`` (wellness filters)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RetainedMedia:
    """One kept copy: ``mime`` as sniffed from the bytes at scan time, ``sha256`` of the bytes
    (before any encryption), ``expires_at`` when its retention ends."""

    item_id: str
    mime: str
    size_bytes: int
    sha256: str
    stored_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class MediaGone:
    """A copy deleted at ``deleted_at`` because ``reason`` (``retention ended``, ``item
    restored``, ``erased``)."""

    item_id: str
    deleted_at: datetime
    reason: str


class MediaStore(Protocol):
    """Bytes of items kept for reviewers.

    Obligations:
    - ``put`` stores the copy (replacing one of the same item id) whole or not at all: a
      reader never sees part of the bytes (a copy whose record exists but whose bytes are
      missing or do not match ``sha256`` reads as absent). It clears a ``MediaGone`` note.
    - ``get`` returns the record and the exact bytes put, or None; ``info`` the record, the
      ``MediaGone`` note, or None.
    - ``delete`` removes the bytes and the record and leaves a ``MediaGone`` note; True when
      something was deleted. Idempotent: deleting again changes nothing and returns False.
    - ``records`` lists every kept copy; ``notes`` every ``MediaGone`` note;
      ``forget_notes(before)`` drops notes deleted before ``before`` and returns how many.
    - ``encrypted`` says whether the bytes are encrypted at rest by the store itself;
      ``location`` names where they are (no credentials).
    - Errors of the backend raise ``StoreUnavailable``.
    """

    encrypted: bool
    location: str

    def put(self, media: RetainedMedia, data: bytes) -> None: ...

    def get(self, item_id: str) -> tuple[RetainedMedia, bytes] | None: ...

    def info(self, item_id: str) -> RetainedMedia | MediaGone | None: ...

    def delete(self, item_id: str, *, at: datetime, reason: str) -> bool: ...

    def records(self) -> Iterator[RetainedMedia]: ...

    def notes(self) -> Iterator[MediaGone]: ...

    def forget_notes(self, before: datetime) -> int: ...


class ReviewerPreferences(Protocol):
    """Each reviewer's preferences (a JSON object), keyed by their API key id.

    Obligations: ``get`` returns the stored object or ``{}``; ``set`` replaces it (an aware
    ``at``, else ``InvalidInput``); after ``close`` every call raises ``StoreUnavailable``.
    """

    def get(self, key_id: str) -> dict[str, Any]: ...

    def set(self, key_id: str, preferences: Mapping[str, Any], *, at: datetime) -> None: ...

    def close(self) -> None: ...
