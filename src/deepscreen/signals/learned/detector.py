"""The ``learned`` detector: a trained head on a feature backbone, scoring pixels — a calibrated
statistical estimate, never proof; it abstains on media it cannot normalise."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem
from deepscreen.core.signals import SignalResult
from deepscreen.signals.examples import encoded_image_item, texture, video_item
from deepscreen.signals.learned.head import Head, HeadInvalid, load_head
from deepscreen.signals.learned.head_detector import HeadDetector
from deepscreen.signals.learned.normalise import CannotNormalise
from deepscreen.signals.models.backbones import Backbone, SpectralBackbone
from deepscreen.signals.models.catalogue import CATALOGUE, default_models_dir
from deepscreen.signals.video_frames import SampledFrame

CODE_VERSION = "1"
DEFAULT_HEAD_FILE = "ai_image_clip_v1.json"
"""The shipped AI-image head (``learned/heads/``): docs/default-detector.md is its data card."""
DEFAULT_HEAD_DIGEST = "a14abfdf2ea5bd498a32955fc2f4c19321f289016a9ea0192cac793daf851b81"
"""SHA-256 of the shipped head's canonical JSON: a modified file is refused, not used."""


class ModelMissing(ConfigError):
    """The backbone model a head needs is not installed; the message says how to fetch it."""

    @classmethod
    def for_model(cls, name: str, models_dir: Path) -> ModelMissing:
        """The error for catalogue model ``name`` absent from ``models_dir``."""
        return cls(
            f"model {name} is not installed in {models_dir}: run "
            f"`deepscreen models fetch {name}` (scripts/setup does it)"
        )


def top_k_mean(scored: list[tuple[float, float]], k: int) -> tuple[float, list[float]]:
    """The mean of the ``k`` highest ``(time, score)`` scores, and those frames' times in time
    order (ties: the earlier frame first)."""
    top = sorted(scored, key=lambda ts: (-ts[1], ts[0]))[: max(1, k)]
    return sum(p for _, p in top) / len(top), sorted(t for t, _ in top)


def default_head_path() -> Path:
    """The AI-image head shipped inside the package."""
    with as_file(files("deepscreen.signals.learned.heads") / DEFAULT_HEAD_FILE) as path:
        return Path(path)


def build_backbone(
    head: Head,
    *,
    model_config: Path | None = None,
    threads: int = 1,
    models_dir: Path | None = None,
) -> Backbone:
    """The backbone ``head`` was trained on, checked by fingerprint.

    ``model_config`` (an ONNX model TOML) overrides the path recorded in the head at training;
    a head that names a catalogue model (``training.model``) finds it in ``models_dir``.
    Raises ``ModelMissing`` when that model is not installed, and ``ConfigError`` when the
    backbone is unknown, unreadable, or not the same one.
    """
    backbone: Backbone
    if head.backbone_kind == "spectral":
        config = head.backbone_config
        if config.get("version") != SpectralBackbone.VERSION:
            raise ConfigError(
                f"head was trained on spectral features v{config.get('version')}; this "
                f"deepscreen computes v{SpectralBackbone.VERSION}: retrain the head"
            )
        backbone = SpectralBackbone(crop=int(config["crop"]), bins=int(config["bins"]))
    elif head.backbone_kind == "onnx":
        from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

        path = model_config or _recorded_model_config(head, models_dir)
        backbone = OnnxBackbone(OnnxModelSpec.from_toml(path), intra_op_threads=threads)
    else:
        raise ConfigError(f"head uses unknown backbone kind {head.backbone_kind!r}")
    if backbone.fingerprint != head.backbone_fingerprint:
        raise ConfigError(
            f"backbone mismatch: the head was trained on {head.backbone_kind} "
            f"{head.backbone_fingerprint[:19]}…, the configured one is "
            f"{backbone.fingerprint[:19]}… (another model file or preprocessing)"
        )
    if head.views.feature_dim(backbone.dim) != head.dim:
        raise ConfigError(
            f"backbone gives {backbone.dim} features per view ({head.views.name}), the head "
            f"expects {head.dim} in all"
        )
    return backbone


def catalogue_model_config(name: str, models_dir: Path) -> Path:
    """The config of the catalogue model ``name`` in ``models_dir``; ``ModelMissing`` (naming
    the command that installs it) when it is not there; ``ConfigError`` for a catalogue model
    that is not an image encoder (the face finder)."""
    entry = CATALOGUE.get(name)
    if entry is not None and entry.preprocessing is None:
        encoders = ", ".join(n for n, m in CATALOGUE.items() if m.preprocessing is not None)
        raise ConfigError(f"{name} is not an image encoder a head can use; encoders: {encoders}")
    path = models_dir / name / "model.toml"
    if not path.is_file():
        raise ModelMissing.for_model(name, models_dir)
    return path


def _recorded_model_config(head: Head, models_dir: Path | None) -> Path:
    name = head.training.get("model")
    if name and models_dir is not None:
        return catalogue_model_config(str(name), models_dir)
    recorded = head.training.get("model_config")
    if not recorded:
        raise ConfigError(
            "this head uses an ONNX backbone: set [learned] model to its model config (TOML)"
        )
    return Path(recorded)


class LearnedDetector(HeadDetector):
    """Scores images, and sampled frames of videos, with a head from ``deepscreen train``.

    ``version`` is ``"1+<first 12 hex of the head digest>"`` once loaded, so decisions record
    which head scored them; a retrained head is a new version. A video's score is the mean of
    its ``video_top_k`` highest frame scores over at most ``max_video_frames`` frames, one every
    ``video_every_s`` seconds: AI-generated video is often AI in a few shots only, and a mean of
    the top few is less swayed by one odd frame than the maximum. The evidence lists every
    frame's time and score and the frames that drove the score.
    """

    name: ClassVar[str] = "learned"
    version: str = CODE_VERSION

    def load(self) -> None:
        """Load the head (the shipped AI-image head when none is given) and its backbone.

        A backbone model that is not installed is not an error: every item then abstains with
        the reason, which names the command that installs it (``missing``).
        """
        source = self._head_source if self._head_source is not None else default_head_path()
        head = source if isinstance(source, Head) else load_head(Path(source))
        if self._head_source is None and head.digest != DEFAULT_HEAD_DIGEST:
            raise HeadInvalid(
                f"the shipped head {source} has digest {head.digest[:12]}…, not the pinned "
                f"{DEFAULT_HEAD_DIGEST[:12]}…: the file was modified; reinstall deepscreen"
            )
        if head.faces is not None:
            raise HeadInvalid(
                f"{source} is a face head (trained with --crop faces): it scores face crops, "
                "not whole images; configure it as [faces] head"
            )
        self.head = head
        self.version = f"{CODE_VERSION}+{head.digest[:12]}"
        try:
            self.backbone = self._given_backbone or build_backbone(
                head,
                model_config=self._model_config,
                threads=self._threads,
                models_dir=self._models_dir or default_models_dir(),
            )
        except ModelMissing as exc:
            self.missing = str(exc)

    def _loaded(self) -> bool:
        return self.head is not None

    def _detect_image(self, pixels: Image.Image) -> SignalResult:
        assert self.head is not None and self.backbone is not None
        try:
            normalised = self.head.normalisation.apply(pixels)
        except CannotNormalise as exc:
            return self._abstain(str(exc))
        return self.score_features(self.head.views.embed(self.backbone, [normalised]))[0]

    def _detect_frames(self, frames: list[SampledFrame]) -> SignalResult:
        assert self.head is not None and self.backbone is not None
        scored: list[tuple[float, float]] = []
        for frame in frames:
            try:
                normalised = self.head.normalisation.apply(frame.image)
            except CannotNormalise:
                continue
            features = self.head.views.embed(self.backbone, [normalised])
            scored.append((frame.time_s, float(self.head.predict_proba(features)[0])))
        if not scored:
            return self._abstain(f"no usable frame among {len(frames)} sampled")
        score, driving = top_k_mean(scored, self.video_top_k)
        result = self._result(score)
        evidence = {
            **result.evidence,
            "frames": [{"t": round(t, 3), "score": round(p, 6)} for t, p in scored],
            "aggregate": f"mean of the top {len(driving)} of {len(scored)} frame scores",
            "driving_frames_t": [round(t, 3) for t in driving],
        }
        evidence["summary"] = f"{evidence['summary']}; video, {evidence['aggregate']}"
        return SignalResult.scored(self.name, self.version, score, evidence)

    def score_features(self, features: np.ndarray) -> list[SignalResult]:
        """Results for a batch of backbone features (the batch path used by benchmarks)."""
        assert self.head is not None
        probabilities = self.head.predict_proba(features)
        return [self._result(float(p)) for p in probabilities]

    def _result(self, probability: float) -> SignalResult:
        assert self.head is not None
        thresholds = self.head.thresholds
        verdict = thresholds.verdict(probability)
        evidence: dict[str, Any] = {
            "verdict": verdict,
            "likely_ai_threshold": thresholds.likely_ai,
            "likely_real_threshold": thresholds.likely_real,
            "backbone": self.head.backbone_kind,
            "head": self.head.digest[:12],
            "head_id": self.head.training.get("id", self.head.digest[:12]),
            "note": "statistical estimate from pixels, not proof",
            "statistical_estimate": True,
            "summary": (
                f"{self._label()}: {probability:.2f} "
                f"({verdict.replace('_', ' ').replace(' ai', ' AI')}; statistical estimate)"
            ),
        }
        return SignalResult.scored(self.name, self.version, probability, evidence)

    def _label(self) -> str:
        assert self.head is not None
        head_id = self.head.training.get("id")
        return f"pixel head {head_id}" if head_id else f"learned {self.head.backbone_kind} head"

    def get_examples(self) -> list[MediaItem]:
        """A textured 96×96 PNG, a JPEG of it, a 32×32 PNG (too small: abstains) and a
        three-second MP4 of the texture."""
        pixels = texture()
        return [
            encoded_image_item(pixels, "PNG"),
            encoded_image_item(pixels, "JPEG"),
            encoded_image_item(pixels[:32, :32], "PNG"),
            video_item(Image.fromarray(pixels, "RGB")),
        ]
