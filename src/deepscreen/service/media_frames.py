"""Video frames for reviewers: the frames the detectors sampled, read from their recorded
evidence (face boxes from ``faces``, per-frame scores, the frames that drove a score), and one
such frame decoded from the video with its face boxes drawn on it."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import av
from PIL import Image, ImageDraw

from deepscreen.core.errors import CorruptMedia, NotFound
from deepscreen.core.signals import SignalResult
from deepscreen.signals.video_frames import MAX_DECODED, MAX_PIXELS

MAX_FRAMES_SHOWN = 24
MAX_SIDE = 640  # frames are scaled down to this: they are previews beside the player
BOX_COLOUR = (255, 196, 0)
_TOLERANCE_S = 0.0006  # evidence times are rounded to the millisecond


@dataclass(frozen=True)
class FrameFace:
    box: tuple[float, float, float, float]  # left, top, right, bottom, in frame pixels
    confidence: float | None
    score: float | None


@dataclass(frozen=True)
class FrameView:
    """One sampled frame: its time, the faces found in it, each detector's score of it, and
    the detectors whose score it drove (one of their top-k frames)."""

    t: float
    faces: tuple[FrameFace, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()
    drove: tuple[str, ...] = ()

    @property
    def millis(self) -> int:
        return round(self.t * 1000)


def evidence_frames(signals: Iterable[SignalResult]) -> list[FrameView]:
    """Every frame time named in the evidence, in time order (at most ``MAX_FRAMES_SHOWN``)."""
    faces: dict[int, list[FrameFace]] = {}
    scores: dict[int, list[tuple[str, float]]] = {}
    drove: dict[int, list[str]] = {}
    for signal in signals:
        evidence: Mapping[str, Any] = signal.evidence or {}
        for entry in _entries(evidence.get("faces")):
            box = _box(entry.get("box"))
            if isinstance(entry.get("t"), int | float) and box is not None:
                face = FrameFace(box, _num(entry.get("confidence")), _num(entry.get("score")))
                faces.setdefault(_ms(entry["t"]), []).append(face)
        for entry in _entries(evidence.get("frames")):
            score = _num(entry.get("score"))
            if isinstance(entry.get("t"), int | float) and score is not None:
                scores.setdefault(_ms(entry["t"]), []).append((signal.detector, score))
        for t in evidence.get("driving_frames_t") or ():
            if isinstance(t, int | float):
                drove.setdefault(_ms(t), []).append(signal.detector)
    times = sorted(set(faces) | set(scores) | set(drove))[:MAX_FRAMES_SHOWN]
    return [
        FrameView(
            ms / 1000,
            tuple(faces.get(ms, ())),
            tuple(scores.get(ms, ())),
            tuple(sorted(set(drove.get(ms, ())))),
        )
        for ms in times
    ]


def frame_png(data: bytes, frame: FrameView) -> bytes:
    """The video frame at ``frame.t`` as a PNG, scaled to ``MAX_SIDE``, its faces outlined."""
    image = frame_at(data, frame.t)
    scale = min(1.0, MAX_SIDE / max(image.size))
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    width = max(2, round(max(image.size) / 160))
    for face in frame.faces:
        left, top, right, bottom = (v * scale for v in face.box)
        draw.rectangle((left, top, right, bottom), outline=BOX_COLOUR, width=width)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def frame_at(data: bytes, t: float) -> Image.Image:
    """The first decoded frame at or after ``t`` seconds (as the detectors sampled it), within
    the same bounded work as sampling (``MAX_DECODED`` frames, ``MAX_PIXELS`` each)."""
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            if not container.streams.video:
                raise CorruptMedia("video", "no video stream")
            image = _first_at(container, container.streams.video[0], t)
    except (av.FFmpegError, ValueError, OSError, EOFError, IndexError) as exc:
        raise CorruptMedia("video", f"{type(exc).__name__}: {exc}"[:300]) from exc
    if image is None:
        raise NotFound(f"the video has no frame at {t:g} s")
    return image


def _first_at(container: Any, stream: Any, t: float) -> Image.Image | None:
    for decoded, frame in enumerate(container.decode(stream)):
        if decoded >= MAX_DECODED:
            return None
        if frame.width * frame.height > MAX_PIXELS:
            raise CorruptMedia("video", "frame over the pixel limit")
        at = float(frame.time) if frame.time is not None else decoded / 30.0
        if at + _TOLERANCE_S >= t:
            image: Image.Image = frame.to_image().convert("RGB")
            return image
    return None


def _entries(value: object) -> list[Mapping[str, Any]]:
    return [e for e in value if isinstance(e, Mapping)] if isinstance(value, list) else []


def _box(value: object) -> tuple[float, float, float, float] | None:
    if not isinstance(value, Sequence) or len(value) != 4:
        return None
    if not all(isinstance(v, int | float) for v in value):
        return None
    left, top, right, bottom = (float(v) for v in value)
    return left, top, right, bottom


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _ms(t: float) -> int:
    return round(float(t) * 1000)
