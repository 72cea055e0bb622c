"""Deleting retained media when it is no longer needed (``deepscreen media purge``), one item's
copy on request (``media delete``), and the store's status (``media status``). Purge rules:
docs/internals/service.md."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from deepscreen.core.errors import ConfigError
from deepscreen.core.events import ItemRestored
from deepscreen.core.tasks import TaskStatus
from deepscreen.service.media import ERASED, EXPIRED, RESTORED, ReviewMedia
from deepscreen.service.scan import Services
from deepscreen.store.media.ports import MediaStore

OPEN = (TaskStatus.OPEN, TaskStatus.CLAIMED)
PAGE = 500


@dataclass(frozen=True)
class PurgeReport:
    kept: int  # copies examined
    deleted_expired: int
    deleted_restored: int
    held_for_open_tasks: int  # expired, kept while a task of the item is open
    notes_forgotten: int
    freed_bytes: int
    dry_run: bool = False


def purge_media(services: Services, *, now: datetime, dry_run: bool = False) -> PurgeReport:
    store = _store(services.media)
    restored = _restored_at(services)
    kept = expired = restored_n = held = freed = 0
    for media in list(store.records()):
        kept += 1
        restored_at = restored.get(media.item_id)
        if restored_at is not None and restored_at >= media.stored_at:
            reason = RESTORED
        elif media.expires_at <= now:
            if _has_open_task(services, media.item_id):
                held += 1
                continue
            reason = EXPIRED
        else:
            continue
        deleted = True if dry_run else store.delete(media.item_id, at=now, reason=reason)
        if deleted:
            freed += media.size_bytes
            expired += int(reason == EXPIRED)
            restored_n += int(reason == RESTORED)
    forgotten = 0 if dry_run else store.forget_notes(now - services.media.retention)
    return PurgeReport(kept, expired, restored_n, held, forgotten, freed, dry_run)


def delete_media(services: Services, item_id: str, *, now: datetime, reason: str = ERASED) -> bool:
    """Delete one item's copy now (an erasure request); False when none is kept."""
    return _store(services.media).delete(item_id, at=now, reason=reason)


@dataclass(frozen=True)
class MediaStatus:
    location: str
    encrypted: bool
    retention_days: float
    url_template: str | None
    copies: int
    bytes: int
    expired: int  # awaiting the next purge (or held for an open task)
    deleted_by_reason: dict[str, int] = field(default_factory=dict)
    open_tasks: int = 0
    open_tasks_without_copy: int = 0


def media_status(services: Services, *, now: datetime) -> MediaStatus:
    """What is kept, and how many open review or appeal tasks have no copy to show (the
    visible trace of a copy that failed to be kept, or of items scanned before retention)."""
    media = services.media
    store = _store(media)
    records = list(store.records())
    kept = {r.item_id for r in records}
    tasks = _open_task_items(services)
    return MediaStatus(
        location=store.location,
        encrypted=store.encrypted,
        retention_days=media.retention.total_seconds() / 86_400,
        url_template=media.url_template,
        copies=len(records),
        bytes=sum(r.size_bytes for r in records),
        expired=sum(1 for r in records if r.expires_at <= now),
        deleted_by_reason=dict(Counter(n.reason for n in store.notes())),
        open_tasks=len(tasks),
        open_tasks_without_copy=sum(1 for item_id in tasks if item_id not in kept),
    )


def _store(media: ReviewMedia) -> MediaStore:
    if media.store is None:
        raise ConfigError(
            'media retention is off ([media_store] backend = "off"): nothing is kept to purge'
        )
    return media.store


def _restored_at(services: Services) -> dict[str, datetime]:
    """Item id → when it was last restored (``ItemRestored``)."""
    latest: dict[str, datetime] = {}
    for event in services.store.read(kinds=("item_restored",)):
        if isinstance(event, ItemRestored):
            at = latest.get(event.item_id)
            latest[event.item_id] = event.occurred_at if at is None else max(at, event.occurred_at)
    return latest


def _has_open_task(services: Services, item_id: str) -> bool:
    queue = services.review_queue
    return queue is not None and bool(queue.list_tasks(item_id=item_id, statuses=OPEN, limit=1))


def _open_task_items(services: Services) -> set[str]:
    queue = services.review_queue
    items: set[str] = set()
    offset = 0
    while queue is not None:
        page = queue.list_tasks(statuses=OPEN, limit=PAGE, offset=offset)
        items.update(t.item_id for t in page)
        if len(page) < PAGE:
            break
        offset += PAGE
    return items
