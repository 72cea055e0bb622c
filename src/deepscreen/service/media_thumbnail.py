"""Thumbnails of the queue pages' task rows: a small picture of a task's retained media with the
wellness filters drawn into the pixels, for a reviewer who holds or may claim the task now
(who sees one, and why: docs/internals/service.md)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from PIL import Image, ImageFilter

from deepscreen.core.errors import DeepscreenError, NotFound, PermissionDenied
from deepscreen.core.events import ItemIngested
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.media import load_media
from deepscreen.service.media_frames import frame_at
from deepscreen.service.media_wellness import Filters, WellnessPrefs, filters_for
from deepscreen.service.review_queue import configured
from deepscreen.service.scan import Services
from deepscreen.store.media.ports import RetainedMedia

SIDE = 96  # pixels, the longer side
BLUR_RADIUS = 5.0  # on a 96-pixel picture: shapes and colours only


def may_see_thumbnail(task: ReviewTask, reviewer: str, now: datetime) -> bool:
    """A task not done, not gold, that ``reviewer`` holds or may claim at ``now``."""
    if task.kind is TaskKind.GOLD or task.status is TaskStatus.DONE:
        return False
    return task.held_by(reviewer, now) or task.claimable_by(reviewer, now)


def has_retained_copy(services: Services, item_id: str) -> bool:
    """Whether the media store keeps a copy of the item (no thumbnail otherwise; nor while
    the store cannot be read)."""
    store = services.media.store
    if store is None:
        return False
    try:
        return isinstance(store.info(item_id), RetainedMedia)
    except DeepscreenError:
        return False


def item_attributes(services: Services, item_id: str) -> Mapping[str, Any]:
    """The uploader's attributes of the item (its category among them); empty if unknown."""
    events = services.store.for_item(item_id)
    ingested = next((e for e in events if isinstance(e, ItemIngested)), None)
    return ingested.attributes if ingested is not None else {}


def task_thumbnail(
    services: Services, task_id: str, reviewer: str, prefs: WellnessPrefs, *, now: datetime
) -> tuple[bytes, Filters]:
    """A PNG of at most ``SIDE`` pixels of the task's retained media, filtered for
    ``reviewer`` (``prefs``: their wellness choices); and the filters applied.
    ``PermissionDenied`` for a task they may not see, ``NotFound`` without a retained copy."""
    queue, _ = configured(services)
    task = queue.get(task_id)
    if not may_see_thumbnail(task, reviewer, now):
        raise PermissionDenied(
            f"no thumbnail of task {task_id!r}: thumbnails are shown of tasks you hold or may "
            "claim, and not of done tasks"
        )
    store = services.media.store
    kept = store.get(task.item_id) if store is not None else None
    if kept is None:
        raise NotFound(f"no retained copy of the media of task {task_id!r}")
    record, data = kept
    if record.mime.startswith("video/"):
        picture = frame_at(data, 0.0)
    else:
        pixels = load_media(data, source=f"retained:{task.item_id}", limits=services.limits).pixels
        if pixels is None:
            raise NotFound(f"the media of task {task_id!r} has no picture to show")
        picture = pixels
    filters = filters_for(services.media.wellness, prefs, item_attributes(services, task.item_id))
    return _png(_filtered(picture, filters)), filters


def _filtered(picture: Image.Image, filters: Filters) -> Image.Image:
    small = picture.convert("RGB")
    small.thumbnail((SIDE, SIDE), Image.Resampling.LANCZOS)
    if filters.greyscale:
        small = small.convert("L").convert("RGB")
    if filters.blur:
        small = small.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    return small


def _png(picture: Image.Image) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
