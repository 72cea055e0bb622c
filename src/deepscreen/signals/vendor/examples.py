"""The vendor detector's examples: in-memory images and a short MP4 (made with PyAV)."""

from __future__ import annotations

from io import BytesIO

import numpy as np

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.signals.examples import encoded_image_item


def image_example(fmt: str) -> MediaItem:
    y, x = np.mgrid[0:64, 0:64]
    rgb = np.stack([x * 4, y * 4, (x * y) % 256], axis=-1).astype(np.uint8)
    return encoded_image_item(rgb, fmt, **({"quality": 90} if fmt == "JPEG" else {}))


def video_example() -> MediaItem:
    import av  # only the examples need PyAV

    buffer = BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=2)
        stream.width, stream.height = 64, 64
        stream.pix_fmt = "yuv420p"
        for shade in (60, 180):
            pixels = np.full((64, 64, 3), shade, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    data = buffer.getvalue()
    return MediaItem(
        content_item_id(data), MediaKind.VIDEO, "video/mp4", 64, 64, data, "example.mp4"
    )
