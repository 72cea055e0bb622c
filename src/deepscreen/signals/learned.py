"""The ``learned`` detector: a trained head on a feature backbone, scoring pixels.

Score: the head's calibrated probability that the image is AI-generated — a statistical
estimate, never proof. Evidence names the verdict band from the head's thresholds
(``likely_ai`` / ``inconclusive`` / ``likely_real``), the backbone and the head digest.
It abstains on media it cannot normalise (no pixels, too small) rather than guessing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.signals.backbones import Backbone, SpectralBackbone
from deepscreen.signals.examples import encoded_image_item
from deepscreen.signals.head import Head, load_head
from deepscreen.signals.normalise import CannotNormalise

CODE_VERSION = "1"


def build_backbone(head: Head, *, model_config: Path | None = None, threads: int = 1) -> Backbone:
    """The backbone ``head`` was trained on, checked by fingerprint.

    ``model_config`` (an ONNX model TOML) overrides the path recorded in the head at training.
    Raises ``ConfigError`` when the backbone is unknown, missing, or not the same one.
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
        from deepscreen.signals.onnx_backbone import OnnxBackbone, OnnxModelSpec

        path = model_config or _recorded_model_config(head)
        backbone = OnnxBackbone(OnnxModelSpec.from_toml(path), intra_op_threads=threads)
    else:
        raise ConfigError(f"head uses unknown backbone kind {head.backbone_kind!r}")
    if backbone.fingerprint != head.backbone_fingerprint:
        raise ConfigError(
            f"backbone mismatch: the head was trained on {head.backbone_kind} "
            f"{head.backbone_fingerprint[:19]}…, the configured one is "
            f"{backbone.fingerprint[:19]}… (another model file or preprocessing)"
        )
    if backbone.dim != head.dim:
        raise ConfigError(f"backbone gives {backbone.dim} features, the head expects {head.dim}")
    return backbone


def _recorded_model_config(head: Head) -> Path:
    recorded = head.training.get("model_config")
    if not recorded:
        raise ConfigError(
            "this head uses an ONNX backbone: set [learned] model to its model config (TOML)"
        )
    return Path(recorded)


class LearnedDetector:
    """Scores images with a head from ``deepscreen train``.

    ``version`` is ``"1+<first 12 hex of the head digest>"`` once loaded, so decisions record
    which head scored them; a retrained head is a new version.
    """

    name: ClassVar[str] = "learned"
    version: str = CODE_VERSION
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def __init__(
        self,
        head: Path | Head | None = None,
        *,
        model_config: Path | None = None,
        threads: int = 1,
        backbone: Backbone | None = None,
    ) -> None:
        self._head_source, self._model_config, self._threads = head, model_config, threads
        self._given_backbone = backbone
        self.head: Head | None = None
        self.backbone: Backbone | None = None

    def load(self) -> None:
        if self._head_source is None:
            raise ConfigError(
                "the learned detector needs a head: train one with `deepscreen train` and set "
                "[learned] head in deepscreen.toml"
            )
        head = (
            self._head_source
            if isinstance(self._head_source, Head)
            else load_head(Path(self._head_source))
        )
        self.backbone = self._given_backbone or build_backbone(
            head, model_config=self._model_config, threads=self._threads
        )
        self.head = head
        self.version = f"{CODE_VERSION}+{head.digest[:12]}"

    def detect(self, item: MediaItem) -> SignalResult:
        if self.head is None or self.backbone is None:
            raise RuntimeError("LearnedDetector.detect called before load()")
        if item.kind not in self.media_kinds:
            return self._abstain(f"unsupported media kind {item.kind.value!r}")
        if item.pixels is None:
            return self._abstain("no decoded pixels")
        try:
            normalised = self.head.normalisation.apply(item.pixels)
        except CannotNormalise as exc:
            return self._abstain(str(exc))
        return self.score_features(self.backbone.embed([normalised]))[0]

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
            "note": "statistical estimate from pixels, not proof",
            "summary": (
                f"learned {self.head.backbone_kind} classifier: {probability:.2f} "
                f"({verdict.replace('_', ' ')}; statistical estimate)"
            ),
        }
        return SignalResult.scored(self.name, self.version, probability, evidence)

    def _abstain(self, reason: str) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, reason)

    def get_examples(self) -> list[MediaItem]:
        """A textured 96×96 PNG, a JPEG of it, and a 32×32 PNG (too small: abstains)."""
        rng = np.random.default_rng(7)
        pixels = rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)
        return [
            encoded_image_item(pixels, "PNG"),
            encoded_image_item(pixels, "JPEG"),
            encoded_image_item(pixels[:32, :32], "PNG"),
        ]
