"""In-memory fakes of the media ports, for tests and ``memory://`` stores."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from deepscreen.store.media.ports import MediaGone, RetainedMedia
from deepscreen.store.memory import InMemoryStore
from deepscreen.store.times import require_aware


class InMemoryMediaStore:
    """The ``MediaStore`` port in a dict (never encrypted)."""

    encrypted = False
    location = "memory"

    def __init__(self) -> None:
        self._copies: dict[str, tuple[RetainedMedia, bytes]] = {}
        self._notes: dict[str, MediaGone] = {}
        self._lock = threading.Lock()

    def put(self, media: RetainedMedia, data: bytes) -> None:
        with self._lock:
            self._copies[media.item_id] = (media, bytes(data))
            self._notes.pop(media.item_id, None)

    def get(self, item_id: str) -> tuple[RetainedMedia, bytes] | None:
        with self._lock:
            return self._copies.get(item_id)

    def info(self, item_id: str) -> RetainedMedia | MediaGone | None:
        with self._lock:
            kept = self._copies.get(item_id)
            return kept[0] if kept else self._notes.get(item_id)

    def delete(self, item_id: str, *, at: datetime, reason: str) -> bool:
        with self._lock:
            if self._copies.pop(item_id, None) is None:
                return False
            self._notes[item_id] = MediaGone(item_id, at, reason)
            return True

    def records(self) -> Iterator[RetainedMedia]:
        with self._lock:
            kept = [media for media, _ in self._copies.values()]
        yield from sorted(kept, key=lambda m: m.item_id)

    def notes(self) -> Iterator[MediaGone]:
        with self._lock:
            notes = list(self._notes.values())
        yield from sorted(notes, key=lambda n: n.item_id)

    def forget_notes(self, before: datetime) -> int:
        with self._lock:
            old = [i for i, n in self._notes.items() if n.deleted_at < before]
            for item_id in old:
                del self._notes[item_id]
            return len(old)


class InMemoryReviewerPreferences(InMemoryStore):
    """The ``ReviewerPreferences`` port in a dict."""

    closed_message = "the reviewer preferences store is closed"

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[str, dict[str, Any]] = {}

    def get(self, key_id: str) -> dict[str, Any]:
        self._check_open()
        with self._lock:
            return copy.deepcopy(self._rows.get(key_id, {}))

    def set(self, key_id: str, preferences: Mapping[str, Any], *, at: datetime) -> None:
        self._check_open()
        require_aware(at, "at")
        with self._lock:
            self._rows[key_id] = copy.deepcopy(dict(preferences))
