"""Sample frames of a video container (PyAV/FFmpeg) for per-frame hashing, within limits."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

MAX_FRAMES = 60
EVERY_S = 1.0
MAX_DECODED = 3000  # frames decoded at most, whatever the sampling keeps
MAX_PIXELS = 4096 * 2304


@dataclass(frozen=True, slots=True)
class SampledFrame:
    time_s: float
    image: Image.Image  # RGB


class VideoUnreadable(Exception):
    """FFmpeg could not demux or decode the container (the message says why)."""


def sample_frames(
    data: bytes, *, every_s: float = EVERY_S, max_frames: int = MAX_FRAMES
) -> list[SampledFrame]:
    """One frame every ``every_s`` seconds of the first video stream, at most ``max_frames``.

    Decoding stops after ``MAX_DECODED`` frames, so a long or hostile file costs bounded
    work; frames over ``MAX_PIXELS`` are refused. Raises ``VideoUnreadable``.
    """
    import av  # imported with the first video: PyAV (FFmpeg) is slow to import

    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise VideoUnreadable("no video stream")
            stream = container.streams.video[0]
            return _sample(container, stream, every_s, max_frames)
    except VideoUnreadable:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError, IndexError) as exc:
        raise VideoUnreadable(f"{type(exc).__name__}: {exc}"[:300]) from exc


def _sample(container: Any, stream: Any, every_s: float, max_frames: int) -> list[SampledFrame]:
    frames: list[SampledFrame] = []
    next_t = 0.0
    for decoded, frame in enumerate(container.decode(stream)):
        if decoded >= MAX_DECODED or len(frames) >= max_frames:
            break
        if frame.width * frame.height > MAX_PIXELS:
            raise VideoUnreadable(f"frame {frame.width}×{frame.height} is over the pixel limit")
        t = float(frame.time) if frame.time is not None else decoded / 30.0
        if t + 1e-9 >= next_t:
            frames.append(SampledFrame(t, frame.to_image().convert("RGB")))
            next_t = t + every_s
    return frames
