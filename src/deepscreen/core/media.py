"""A media item as the pipeline sees it: sniffed bytes, decoded pixels and caller attributes."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ItemId = str
AttributeValue = str | int | float | bool
"""Caller-supplied item attributes (uploader, category, creator_disclosed, ...) are scalars."""


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

    @property
    def size_bytes(self) -> int:
        return len(self.data)
