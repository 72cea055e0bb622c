"""Test helpers for media shown to reviewers: a small H.264 clip, and stand-in ``learned`` and
``faces`` detectors whose video evidence names sampled frames (scores, a driving frame, a face
box), so that a test can send a video to review without the real models."""

from __future__ import annotations

import dataclasses
import io
from typing import Any, ClassVar

import av
import numpy as np

from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.service.scan import Services
from deepscreen.signals.ports import Detector

FACE_BOX = (20.0, 20.0, 60.0, 70.0)  # in the pixels of a 96 × 96 frame at 1 s


def mp4(seconds: int = 3, fps: int = 4, size: int = 96) -> bytes:
    """A clip whose frames brighten one step each."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width = stream.height = size
        stream.pix_fmt = "yuv420p"
        for i in range(seconds * fps):
            pixels = np.full((size, size, 3), 40 + 10 * i, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, "rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()


class _StandIn:
    name: ClassVar[str] = ""
    version = "test"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.VIDEO, MediaKind.IMAGE})

    def load(self) -> None:
        return None

    def get_examples(self) -> list[MediaItem]:
        return []


class LikelyAiFrames(_StandIn):
    """``learned``: three frames scored, the one at 1 s drove the (review-worthy) score."""

    name = "learned"

    def detect(self, item: MediaItem) -> SignalResult:
        frames = [{"t": 0.0, "score": 0.1}, {"t": 1.0, "score": 0.97}, {"t": 2.0, "score": 0.4}]
        evidence: dict[str, Any] = {
            "frames": frames,
            "driving_frames_t": [1.0],
            "summary": "likely AI (stand-in)",
        }
        return SignalResult.scored(self.name, self.version, 0.97, evidence)


class OneFace(_StandIn):
    """``faces``: one face found at 1 s, not scored (no face head), as the real detector."""

    name = "faces"

    def detect(self, item: MediaItem) -> SignalResult:
        faces = [{"t": 1.0, "box": list(FACE_BOX), "confidence": 0.93}]
        evidence = {"faces": faces, "count": 1, "frames_sampled": 3, "frames_with_faces": 1}
        return SignalResult.abstain(self.name, self.version, "no face head configured", evidence)


def with_video_stand_ins(services: Services) -> Services:
    """``services`` with the ``learned`` and ``faces`` detectors replaced by the stand-ins."""
    stand_ins: dict[str, Detector] = {"learned": LikelyAiFrames(), "faces": OneFace()}
    detectors = [stand_ins.get(d.name, d) for d in services.detectors]
    return dataclasses.replace(services, detectors=detectors)
