"""What the task and appeal pages show of an item's media (``MediaPanel``): whether there is
media to show and, if not, why; the sampled video frames; and the wellness filters that apply
for this reviewer. Plain values for the template; nothing here is read by a decision."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deepscreen.core.decisions import Action
from deepscreen.core.errors import DeepscreenError
from deepscreen.core.media import MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.service.media import ReviewMedia, absence_reason
from deepscreen.service.media_frames import FrameView, evidence_frames
from deepscreen.service.media_wellness import Filters, WellnessPrefs, filters_for
from deepscreen.store.media.ports import RetainedMedia


@dataclass(frozen=True)
class MediaPanel:
    shown: bool
    kind: str  # "image" | "video" | "document" | "" (no ingest recorded)
    reason: str  # why nothing is shown (empty when ``shown``)
    origin: str = ""  # "retained" | "platform"
    mime: str = ""
    stored_at: datetime | None = None
    expires_at: datetime | None = None
    encrypted: bool = False
    frames: list[FrameView] = field(default_factory=list)
    filters: Filters = Filters(False, False, None, "")
    prefs: WellnessPrefs = WellnessPrefs()
    allow_opt_out: bool = True


def media_panel(
    media: ReviewMedia,
    item_id: str,
    *,
    kind: MediaKind | None,
    mime: str,
    action: Action | None,
    attributes: Mapping[str, Any],
    signals: Iterable[SignalResult],
    prefs: WellnessPrefs,
) -> MediaPanel:
    """The panel of one item for one reviewer (``prefs``: their wellness choices)."""
    common: dict[str, Any] = {
        "filters": filters_for(media.wellness, prefs, attributes),
        "prefs": prefs,
        "allow_opt_out": media.wellness.allow_opt_out,
    }
    kind_name = kind.value if kind is not None else ""
    if kind is None:
        return MediaPanel(False, "", "This store records no ingest of the item.", **common)
    if kind is MediaKind.DOCUMENT:
        reason = "A PDF document: the reviewer UI shows images and videos only."
        return MediaPanel(False, kind_name, reason, **common)
    frames = evidence_frames(signals) if kind is MediaKind.VIDEO else []
    try:
        info = media.store.info(item_id) if media.store is not None else None
    except DeepscreenError as exc:
        info = None
        if media.url_template is None:
            reason = f"The media store cannot be read right now ({exc})."
            return MediaPanel(False, kind_name, reason, **common)
    if isinstance(info, RetainedMedia):
        return MediaPanel(
            True,
            kind_name,
            "",
            origin="retained",
            mime=info.mime,
            stored_at=info.stored_at,
            expires_at=info.expires_at,
            encrypted=media.store.encrypted if media.store is not None else False,
            frames=frames,
            **common,
        )
    if media.url_template is not None:
        return MediaPanel(
            True, kind_name, "", origin="platform", mime=mime, frames=frames, **common
        )
    return MediaPanel(False, kind_name, absence_reason(media, item_id, action), **common)
