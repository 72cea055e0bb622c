"""Media for a reviewer's task: shown only to the reviewer who holds the task (a valid lease on a
review, gold or appeal task of the item), as the task page itself is — admins included, so every
view of media follows a claim that the audit trail records."""

from __future__ import annotations

from datetime import datetime

from deepscreen.core.errors import NotFound, PermissionDenied
from deepscreen.core.events import SignalsComputed
from deepscreen.core.tasks import ReviewTask
from deepscreen.service.media import MediaCopy, read_copy
from deepscreen.service.media_frames import evidence_frames, frame_png
from deepscreen.service.review_queue import configured
from deepscreen.service.scan import Services


def held_task(services: Services, task_id: str, reviewer: str, *, now: datetime) -> ReviewTask:
    """The task if ``reviewer`` holds it now; ``TaskNotFound`` or ``PermissionDenied``."""
    queue, _ = configured(services)
    task = queue.get(task_id)
    if not task.held_by(reviewer, now):
        raise PermissionDenied(
            f"the media of task {task_id!r} is shown only to the reviewer holding it: claim "
            "the task first (or your lease on it has expired)"
        )
    return task


def task_media(services: Services, task_id: str, reviewer: str, *, now: datetime) -> MediaCopy:
    """The media of a task the reviewer holds (``NotFound`` saying why there is none)."""
    task = held_task(services, task_id, reviewer, now=now)
    return read_copy(services.media, task.item_id)


def task_frame(
    services: Services, task_id: str, reviewer: str, millis: int, *, now: datetime
) -> bytes:
    """One sampled frame (PNG, face boxes drawn) of the video of a task the reviewer holds;
    only frames named in the item's evidence are served."""
    task = held_task(services, task_id, reviewer, now=now)
    events = services.store.for_item(task.item_id)
    signals = next((e.results for e in reversed(events) if isinstance(e, SignalsComputed)), ())
    frame = next((f for f in evidence_frames(signals) if f.millis == millis), None)
    if frame is None:
        raise NotFound(f"no sampled frame at {millis} ms in the evidence of task {task_id!r}")
    copy = read_copy(services.media, task.item_id)
    if not copy.mime.startswith("video/"):
        raise NotFound(f"the media of task {task_id!r} is not a video")
    return frame_png(copy.data, frame)
