"""A media item as the pipeline sees it: sniffed bytes, decoded pixels and caller attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar, cast

ItemId = str
AttributeValue = str | int | float | bool
"""Caller-supplied item attributes (uploader, category, creator_disclosed, ...) are scalars."""
T = TypeVar("T")


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"  # PDF: read for Content Credentials only, never rendered


def content_item_id(data: bytes) -> ItemId:
    """The default item id: ``sha256:<hex>`` of the exact bytes, so a re-upload is the same item."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class MediaItem:
    """One piece of media, loaded and checked by ``deepscreen.media``.

    ``pixels`` holds the decoded first frame with EXIF orientation applied, as an RGB
    ``PIL.Image.Image`` (typed ``Any`` so that core stays free of Pillow); ``None`` for kinds
    that are not decoded. ``data`` holds the original bytes for detectors that read containers.
    """

    item_id: ItemId
    kind: MediaKind
    mime: str
    width: int
    height: int
    data: bytes = field(repr=False)
    source: str = ""
    pixels: Any = field(default=None, repr=False, compare=False)
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    # What ``derive`` computed from the pixels; never passed in or compared, and
    # ``dataclasses.replace`` starts the copy with an empty cache.
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def derive(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``, run once per item and ``key`` (e.g. a downscale every detector shares);
        later calls return the cached value, which callers must not modify."""
        if key not in self.derived:
            self.derived[key] = compute()
        return cast(T, self.derived[key])

    @property
    def size_bytes(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FetchedMedia:
    """Media fetched from a URL (``adapters.url_fetch``): its bytes and where they came from."""

    url: str  # as given
    final_url: str  # after redirects
    content: bytes
    content_type: str | None
