"""A trained classifier head in plain JSON (no pickles): standardiser, logistic regression and
calibrator, what reproduces its input, its thresholds; ``digest`` versions the detector."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from deepscreen.core.errors import ConfigError
from deepscreen.core.files import write_bytes_atomic
from deepscreen.signals.learned.face_crop import FaceCrop
from deepscreen.signals.learned.normalise import Normalisation
from deepscreen.signals.learned.views import Views

FORMAT = "deepscreen.head/1"


class HeadInvalid(ConfigError):
    """A head file that cannot be read or does not describe a usable head."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Maps the logistic decision value ``f`` to a probability.

    ``sigmoid`` (Platt): ``p = 1 / (1 + exp(a·f + b))``, scikit-learn's convention.
    ``isotonic``: piecewise-linear interpolation through (``x``, ``y``), clipped at the ends.
    """

    method: Literal["sigmoid", "isotonic"]
    a: float = 0.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def apply(self, decision: np.ndarray) -> np.ndarray:
        if self.method == "sigmoid":
            return np.asarray(1.0 / (1.0 + np.exp(self.a * decision + self.b)))
        return np.asarray(np.interp(decision, np.asarray(self.x), np.asarray(self.y)))

    def to_dict(self) -> dict[str, Any]:
        if self.method == "sigmoid":
            return {"method": "sigmoid", "a": self.a, "b": self.b}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        if data["method"] == "sigmoid":
            return cls("sigmoid", a=float(data["a"]), b=float(data["b"]))
        if data["method"] == "isotonic":
            x, y = tuple(map(float, data["x"])), tuple(map(float, data["y"]))
            if len(x) != len(y) or not x or any(b < a for a, b in zip(x, x[1:], strict=False)):
                raise ValueError("isotonic x must be non-empty, sorted and as long as y")
            return cls("isotonic", x=x, y=y)
        raise ValueError(f"unknown calibration method {data['method']!r}")


def verdict_of(score: float, *, likely_ai: float, likely_real: float) -> str:
    """'likely_ai' at or above ``likely_ai``, 'likely_real' below ``likely_real``, else
    'inconclusive' (a NaN score too)."""
    if score >= likely_ai:
        return "likely_ai"
    if score < likely_real:
        return "likely_real"
    return "inconclusive"


@dataclass(frozen=True, slots=True)
class HeadThresholds:
    """``score >= likely_ai``: likely AI; ``score < likely_real``: likely real; between:
    inconclusive. Chosen on out-of-fold scores for the stated targets."""

    likely_ai: float
    likely_real: float
    target_fpr: float
    target_fnr: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.likely_real <= self.likely_ai <= 1.0 + 1e-9:
            raise ValueError(
                f"thresholds need 0 <= likely_real ({self.likely_real}) <= likely_ai "
                f"({self.likely_ai}) <= 1"
            )

    def verdict(self, score: float) -> str:
        return verdict_of(score, likely_ai=self.likely_ai, likely_real=self.likely_real)


@dataclass(frozen=True)
class Head:
    backbone_kind: str
    backbone_config: dict[str, Any]
    backbone_fingerprint: str
    normalisation: Normalisation
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calibration: Calibration
    thresholds: HeadThresholds
    labels: dict[str, str] = field(default_factory=lambda: {"1": "ai", "0": "real"})
    training: dict[str, Any] = field(default_factory=dict)
    views: Views = field(default_factory=Views)
    faces: FaceCrop | None = None  # a face head: scores face crops cut this way, not images

    def __post_init__(self) -> None:
        dim = self.coef.shape[0]
        if self.coef.ndim != 1 or self.mean.shape != (dim,) or self.scale.shape != (dim,):
            raise ValueError("coef, mean and scale must be vectors of one length")
        if not (np.all(np.isfinite(self.coef)) and np.all(self.scale > 0)):
            raise ValueError("coef must be finite and scale positive")
        if not math.isfinite(self.intercept):
            raise ValueError("intercept must be finite")

    @property
    def dim(self) -> int:
        return int(self.coef.shape[0])

    def decision_function(self, features: np.ndarray) -> np.ndarray:
        standardised = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return np.asarray(standardised @ self.coef + self.intercept)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Calibrated probability that each row is AI-generated."""
        return np.asarray(np.clip(self.calibration.apply(self.decision_function(features)), 0, 1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "backbone": {
                "kind": self.backbone_kind,
                "config": self.backbone_config,
                "fingerprint": self.backbone_fingerprint,
            },
            "normalisation": self.normalisation.to_dict(),
            "standardise": {"mean": self.mean.tolist(), "scale": self.scale.tolist()},
            "logistic": {"coef": self.coef.tolist(), "intercept": self.intercept},
            "calibration": self.calibration.to_dict(),
            "thresholds": {
                "likely_ai": self.thresholds.likely_ai,
                "likely_real": self.thresholds.likely_real,
                "target_fpr": self.thresholds.target_fpr,
                "target_fnr": self.thresholds.target_fnr,
            },
            "labels": self.labels,
            "training": self.training,
            # Written only when not the default, so heads from before views keep their digest.
            **({"views": self.views.to_dict()} if self.views != Views() else {}),
            **({"faces": self.faces.to_dict()} if self.faces is not None else {}),
        }

    @property
    def digest(self) -> str:
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Head:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        backbone, logistic = data["backbone"], data["logistic"]
        return cls(
            backbone_kind=str(backbone["kind"]),
            backbone_config=dict(backbone["config"]),
            backbone_fingerprint=str(backbone["fingerprint"]),
            normalisation=Normalisation.from_dict(data["normalisation"]),
            mean=np.asarray(data["standardise"]["mean"], dtype=np.float64),
            scale=np.asarray(data["standardise"]["scale"], dtype=np.float64),
            coef=np.asarray(logistic["coef"], dtype=np.float64),
            intercept=float(logistic["intercept"]),
            calibration=Calibration.from_dict(data["calibration"]),
            thresholds=HeadThresholds(**data["thresholds"]),
            labels=dict(data.get("labels", {})),
            training=dict(data.get("training", {})),
            views=Views.from_dict(data["views"]) if "views" in data else Views(),
            faces=FaceCrop.from_dict(data["faces"]) if "faces" in data else None,
        )


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def save_head(head: Head, path: Path) -> None:
    """Write ``head`` as JSON atomically (a temp file in the same folder, then a rename)."""
    text = json.dumps(head.to_dict(), indent=1, sort_keys=True, allow_nan=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))  # a NaN weight is refused, not nulled


def load_head(path: Path) -> Head:
    """Read a head file; raises ``HeadInvalid`` naming the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HeadInvalid(f"head file {str(path)!r} does not exist") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HeadInvalid(f"cannot read head file {str(path)!r}: {exc}") from exc
    if not isinstance(data, dict):
        raise HeadInvalid(f"{path}: a head file holds a JSON object")
    try:
        return Head.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        detail = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise HeadInvalid(f"{path}: not a valid deepscreen head: {detail}") from exc
