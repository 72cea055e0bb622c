"""In-memory example items for detectors' ``get_examples()`` (the conformance kit's inputs)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import numpy as np
from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind, content_item_id


def encoded_image_item(rgb: np.ndarray, fmt: str, **save_options: Any) -> MediaItem:
    """``rgb`` encoded as ``fmt`` (PNG, JPEG, WebP…) and decoded back, as the loader would."""
    buffer = BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buffer, fmt, **save_options)
    data = buffer.getvalue()
    with Image.open(BytesIO(data)) as decoded:
        pixels = decoded.convert("RGB")
    return MediaItem(
        item_id=content_item_id(data),
        kind=MediaKind.IMAGE,
        mime=f"image/{fmt.lower()}",
        width=pixels.width,
        height=pixels.height,
        data=data,
        source=f"example.{fmt.lower()}",
        pixels=pixels,
    )
