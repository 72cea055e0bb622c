"""What ``train`` and ``eval`` build from settings: the backbone a head was trained on, the face
finder (BlazeFace, from the model cache), and ``--model`` resolved in the cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image

from deepscreen.bootstrap.detectors import models_dir
from deepscreen.core.errors import ConfigError
from deepscreen.learn.features import FaceRows
from deepscreen.settings import Settings
from deepscreen.signals.faces.detector import load_face_finder
from deepscreen.signals.learned.detector import build_backbone, catalogue_model_config
from deepscreen.signals.learned.face_crop import FaceCrop
from deepscreen.signals.learned.head import Head
from deepscreen.signals.models.backbones import Backbone
from deepscreen.signals.models.blazeface import Face
from deepscreen.signals.models.catalogue import CATALOGUE


def face_rows(faces: bool, margin: float, settings: Settings) -> FaceRows | None:
    """The face-crop mode (``--crop faces``), with the face finder from the model cache; None
    for one row per image."""
    if not faces:
        return None
    face_crop = FaceCrop(margin=margin, min_confidence=settings.faces.min_confidence)
    return FaceRows(_find_faces(face_crop, settings), face_crop)


def head_backbone(
    head: Head, *, model_config: Path | None, threads: int, settings: Settings
) -> Backbone:
    """The backbone ``head`` was trained on (its model config, else the model cache's)."""
    return build_backbone(
        head, model_config=model_config, threads=threads, models_dir=models_dir(settings)
    )


def resolve_model(model: str | None, settings: Settings) -> tuple[str | None, Path | None]:
    """``--model``: a catalogue name (resolved in the model cache) or a model config path."""
    if model is None:
        return None, None
    if model in CATALOGUE:
        return model, catalogue_model_config(model, models_dir(settings))
    path = Path(model)
    if not path.is_file():
        known = ", ".join(sorted(CATALOGUE))
        raise ConfigError(f"--model {model!r} is neither a model config file nor one of: {known}")
    return None, path


def finder_for(head: Head, settings: Settings) -> Callable[[Image.Image], list[Face]] | None:
    """A face head's face finder, at the head's own confidence floor; None for image heads."""
    return None if head.faces is None else _find_faces(head.faces, settings)


def _find_faces(crop: FaceCrop, settings: Settings) -> Callable[[Image.Image], list[Face]]:
    finder = load_face_finder(models_dir(settings), threads=settings.faces.threads)
    return lambda image: finder.find(
        image, min_confidence=crop.min_confidence, max_faces=settings.faces.max_faces
    )
