"""What the ``learned`` and ``faces`` detectors share: a head on a backbone, scoring images and
sampled video frames, abstaining on everything while a model is not installed."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar, TypedDict

from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.signals.learned.head import Head
from deepscreen.signals.models.backbones import Backbone
from deepscreen.signals.video_frames import SampledFrame, VideoUnreadable, sample_frames


class ModelOptions(TypedDict, total=False):
    """The keyword arguments of every ``HeadDetector`` (``bootstrap`` fills them from settings)."""

    model_config: Path | None
    threads: int
    models_dir: Path | None
    backbone: Backbone | None
    max_video_frames: int
    video_every_s: float
    video_top_k: int


class HeadDetector(ABC):
    """Images, and at most ``max_video_frames`` frames of a video, one every ``video_every_s``
    seconds, scored by a subclass (``_detect_image``, ``_detect_frames``); a video's score is
    the mean of its ``video_top_k`` highest frame scores.

    ``head``: a head file or a loaded ``Head``; ``model_config`` (an ONNX model TOML) overrides
    the backbone recorded in it; ``backbone``: one already built (tests, benchmarks).
    """

    name: ClassVar[str]
    version: str
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE, MediaKind.VIDEO})

    def __init__(
        self,
        head: Path | Head | None = None,
        *,
        model_config: Path | None = None,
        threads: int = 1,
        models_dir: Path | None = None,
        backbone: Backbone | None = None,
        max_video_frames: int = 8,
        video_every_s: float = 2.0,
        video_top_k: int = 3,
    ) -> None:
        self._head_source, self._model_config, self._threads = head, model_config, threads
        self._models_dir, self._given_backbone = models_dir, backbone
        self.max_video_frames, self.video_every_s = max_video_frames, video_every_s
        self.video_top_k = video_top_k
        self.head: Head | None = None
        self.backbone: Backbone | None = None
        self.missing: str | None = None  # why the detector abstains on everything, if it does

    @abstractmethod
    def _loaded(self) -> bool:
        """Whether ``load`` has run (``missing`` set, or the models loaded)."""

    @abstractmethod
    def _detect_image(self, pixels: Image.Image) -> SignalResult:
        """The signal of one decoded image."""

    @abstractmethod
    def _detect_frames(self, frames: list[SampledFrame]) -> SignalResult:
        """The signal of a video from its sampled frames."""

    def detect(self, item: MediaItem) -> SignalResult:
        if self.missing is not None:
            return self._abstain(self.missing)
        if not self._loaded():
            raise RuntimeError(f"{type(self).__name__}.detect called before load()")
        if item.kind not in self.media_kinds:
            return self._abstain(f"unsupported media kind {item.kind.value!r}")
        if item.kind is MediaKind.VIDEO:
            try:
                frames = sample_frames(
                    item.data, every_s=self.video_every_s, max_frames=self.max_video_frames
                )
            except VideoUnreadable as exc:
                return self._abstain(f"video unreadable: {exc}")
            return self._detect_frames(frames)
        if item.pixels is None:
            return self._abstain("no decoded pixels")
        return self._detect_image(item.pixels)

    def _abstain(self, reason: str, evidence: dict[str, Any] | None = None) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, reason, evidence)
