"""In-memory example items for detectors' ``get_examples()`` (the conformance kit's inputs)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import numpy as np
from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind, content_item_id


def texture(side: int = 96, seed: int = 7) -> np.ndarray:
    """A seeded ``side``×``side`` RGB noise texture: the pixel detectors' example image."""
    return np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)


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


def video_item(still: Image.Image, frames: int = 6, fps: int = 2) -> MediaItem:
    """``frames`` frames of ``still`` as an H.264 MP4, encoded in memory with PyAV."""
    import av  # only plug-in checks and tests build videos: keep PyAV out of start-up

    buffer = BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = still.size
        stream.pix_fmt = "yuv420p"
        for _ in range(frames):
            frame = av.VideoFrame.from_ndarray(np.asarray(still.convert("RGB")), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = buffer.getvalue()
    return MediaItem(content_item_id(data), MediaKind.VIDEO, "video/mp4", 0, 0, data, "example")
