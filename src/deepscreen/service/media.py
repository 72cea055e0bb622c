"""Media kept for reviewers: what is retained when (``wants_copy``, ``retain_scanned``), read back
for a reviewer's task, and deleted (``forget``); a platform's copy fetched when none is kept.
Lifecycle: docs/review-media.md, docs/internals/service.md."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import DeepscreenError, NotFound, UnsupportedMedia
from deepscreen.media import load_media as load_media
from deepscreen.media import sniff_mime
from deepscreen.media.containers import sniff_video
from deepscreen.service.media_wellness import WellnessConfig
from deepscreen.store.media.ports import MediaGone, MediaStore, RetainedMedia

log = logging.getLogger(__name__)

RETAINED_ACTIONS = frozenset(a for a in Action if a is not Action.ALLOW)
RESTORED = "item restored after an appeal"
EXPIRED = "retention ended"
ERASED = "erased on request"


@dataclass(frozen=True)
class ReviewMedia:
    """The retained-media store (None: off), its retention, the platform's URL template and
    the fetcher for it, and the wellness filters; wired by ``bootstrap.build``."""

    store: MediaStore | None = None
    retention: timedelta = timedelta(days=30)
    url_template: str | None = None
    fetch: Callable[[str], bytes] | None = field(default=None, repr=False)
    wellness: WellnessConfig = WellnessConfig()

    @property
    def enabled(self) -> bool:
        return self.store is not None or self.url_template is not None


@dataclass(frozen=True)
class MediaCopy:
    """Bytes to show, their type as sniffed from the bytes, and where they came from."""

    data: bytes
    mime: str
    origin: str  # "retained" | "platform"


def shown_type(data: bytes) -> str | None:
    """The content type the UI serves ``data`` as, from its magic bytes only (images and
    videos; None for anything else, which is never served)."""
    return sniff_mime(data) or sniff_video(data)


def wants_copy(media: ReviewMedia, decision: Decision, data: bytes) -> bool:
    """Does ``decision`` call for a copy of ``data``: retention on, the action ``review`` or
    an enforcement, and the bytes an image or video the UI shows."""
    return (
        media.store is not None
        and decision.action in RETAINED_ACTIONS
        and shown_type(data) is not None
    )


def retain_scanned(
    media: ReviewMedia, item_id: str, data: bytes, decision: Decision, *, now: datetime
) -> str | None:
    """Keep a copy of a scanned item's ``data`` if its ``decision`` calls for one and none is
    kept (or was deleted) already, until ``decision.decided_at`` + retention. Idempotent.
    Returns None, or why keeping it failed (already logged)."""
    store = media.store
    if store is None or decision.action not in RETAINED_ACTIONS:
        return None
    expires_at = decision.decided_at + media.retention
    mime = shown_type(data)
    if expires_at <= now or mime is None:
        return None  # too late, or not media the UI shows (a PDF)
    try:
        if store.info(item_id) is not None:
            return None  # kept already, or deleted (restored, erased): never kept again
        digest = hashlib.sha256(data).hexdigest()
        store.put(RetainedMedia(item_id, mime, len(data), digest, now, expires_at), data)
    except Exception as exc:  # noqa: BLE001 - the item is recorded; the copy is optional
        log.exception("could not retain the media of %s for review", item_id)
        return f"media not retained: {type(exc).__name__}: {exc}"[:500]
    return None


def retain_bytes(media: ReviewMedia, item_id: str, data: bytes, *, now: datetime) -> bool:
    """Keep ``data`` for a task opened later (a notice, an appeal) for ``retention`` from
    ``now``; False when the store is off, the bytes are not an image or video, or a copy is
    kept or was deleted already. Backend errors raise ``StoreUnavailable``."""
    mime = shown_type(data)
    if media.store is None or mime is None or media.store.info(item_id) is not None:
        return False
    digest = hashlib.sha256(data).hexdigest()
    record = RetainedMedia(item_id, mime, len(data), digest, now, now + media.retention)
    media.store.put(record, data)
    return True


def forget(media: ReviewMedia, item_id: str, *, now: datetime, reason: str) -> bool:
    """Delete the item's copy (True if there was one). Never raises: a failure is logged, and
    ``deepscreen media purge`` deletes what was left (restored items included)."""
    if media.store is None:
        return False
    try:
        return media.store.delete(item_id, at=now, reason=reason)
    except Exception:  # noqa: BLE001 - callers have already recorded their own change
        log.exception("could not delete the retained media of %s (%s)", item_id, reason)
        return False


def read_copy(media: ReviewMedia, item_id: str) -> MediaCopy:
    """The item's media to show: the retained copy, else the platform's (``url_template``).
    ``NotFound`` saying why there is none; ``UnsupportedMedia`` for bytes that are not an
    image or video."""
    kept = media.store.get(item_id) if media.store is not None else None
    if kept is not None:
        data, origin = kept[1], "retained"
    elif media.url_template is not None and media.fetch is not None:
        try:
            data, origin = media.fetch(platform_url(media.url_template, item_id)), "platform"
        except DeepscreenError as exc:  # refused, timed out, too large
            raise NotFound(f"The platform's copy could not be fetched: {exc}") from exc
    else:
        raise NotFound(absence_reason(media, item_id))
    mime = shown_type(data)
    if mime is None:
        raise UnsupportedMedia(item_id, "the media is not an image or video the UI shows")
    return MediaCopy(data, mime, origin)


def platform_url(template: str, item_id: str) -> str:
    return template.replace("{item_id}", quote(item_id, safe=""))


def absence_reason(media: ReviewMedia, item_id: str, action: Action | None = None) -> str:
    """Why the UI has no media of the item, for people."""
    if media.store is None:
        return (
            "The media itself is not retained: media retention is off ([media_store] backend "
            '= "off"), so deepscreen keeps only its hashes, signals and the recorded facts.'
        )
    try:
        info = media.store.info(item_id)
    except DeepscreenError as exc:
        return f"The media store cannot be read right now ({exc})."
    if isinstance(info, MediaGone):
        when = info.deleted_at.astimezone(UTC)
        return f"The retained copy was deleted on {when:%Y-%m-%d %H:%M} UTC: {info.reason}."
    if isinstance(info, RetainedMedia):
        return "The retained copy is unreadable (its bytes are missing or do not match)."
    if action is Action.ALLOW:
        return (
            "No copy was kept: the item was allowed when scanned (only items sent to review "
            "or actioned are retained)."
        )
    return (
        "No copy was kept: the item was scanned before media retention was on, it is not an "
        "image or video, or keeping it failed (logged; see `deepscreen media status`)."
    )
