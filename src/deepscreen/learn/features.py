"""Turn a labelled set into a feature table: load safely, normalise, embed in batches; unreadable
files are kept in ``failures`` with their reason, trivial file facts recorded for the confound
check, augmented and face-crop rows on request (docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from PIL import Image

from deepscreen.core.errors import InvalidInput
from deepscreen.learn.augment import Augmentation
from deepscreen.learn.confounds import FileFacts, facts_from_image
from deepscreen.learn.dataset import LabelledSet
from deepscreen.media import MediaLimits, read_media_file
from deepscreen.signals.learned.face_crop import FaceCrop, cut
from deepscreen.signals.learned.normalise import CannotNormalise, Normalisation
from deepscreen.signals.learned.views import Views
from deepscreen.signals.models.backbones import Backbone
from deepscreen.signals.models.blazeface import Face

Progress = Callable[[int], None]
"""Called with the number of files just processed."""


@dataclass(frozen=True)
class FaceRows:
    """Face-crop mode: ``find`` returns an image's faces; each is cut as ``crop`` says."""

    find: Callable[[Image.Image], list[Face]]
    crop: FaceCrop


@dataclass(frozen=True)
class FeatureTable:
    dataset: LabelledSet  # only the items that produced features, in row order
    features: np.ndarray
    facts: tuple[FileFacts, ...]
    failures: tuple[tuple[str, str], ...]  # (path, reason)
    augmented: np.ndarray | None = None  # (copies, rows, dim): damaged copies of each row
    content_ids: tuple[str, ...] = ()  # each row's file as ``sha256:<hex>`` of its bytes
    face_rows: bool = False  # face-crop mode: a row is a face, several may share a file

    @property
    def images(self) -> LabelledSet:
        """One entry per file that gave rows (in face-crop mode, not one per face)."""
        if not self.face_rows:
            return self.dataset
        first: dict[str, int] = {}
        for row, image in enumerate(self.content_ids):
            first.setdefault(image, row)
        return self.dataset.subset(list(first.values()))

    @property
    def labels(self) -> np.ndarray:
        return self.dataset.labels

    @property
    def sources(self) -> list[str]:
        return self.dataset.sources


def extract(
    dataset: LabelledSet,
    backbone: Backbone,
    normalisation: Normalisation,
    *,
    limits: MediaLimits | None = None,
    batch_size: int = 16,
    progress: Progress | None = None,
    views: Views | None = None,
    augmentation: Augmentation | None = None,
    faces: FaceRows | None = None,
) -> FeatureTable:
    """Features of every readable item: ``views`` of each normalised image (default: the
    whole image), plus ``augmentation.copies`` damaged copies of each when given; with
    ``faces``, of each face found instead (no augmentation)."""
    if faces is not None and augmentation is not None:
        raise ValueError("face-crop mode takes no augmentation")
    limits, views = limits or MediaLimits(), views or Views()
    copies = augmentation.copies if augmentation is not None else 0
    kept: list[int] = []
    content_ids: list[str] = []
    facts: list[FileFacts] = []
    failures: list[tuple[str, str]] = []
    parts: list[np.ndarray] = []
    batch: list[np.ndarray] = []  # per image: the clean view, then its damaged copies
    for index, entry in enumerate(dataset.items):
        try:
            item = read_media_file(entry.path, limits=limits)
            if item.pixels is None:
                raise CannotNormalise(f"{item.mime} has no decoded pixels")
            if faces is not None:
                images = _face_images(item.pixels, faces, normalisation)
            else:
                images = [normalisation.apply(item.pixels)]
            if augmentation is not None:
                images += [
                    normalisation.apply(v) for v in augmentation.views(item.pixels, item.data)
                ]
            with Image.open(BytesIO(item.data)) as header:
                fact = facts_from_image(item.data, header)
            count = len(images) if faces is not None else 1  # rows this file gives
            facts.extend([fact] * count)
            batch.extend(images)
            kept.extend([index] * count)
            content_ids.extend([item.item_id] * count)
        except (InvalidInput, CannotNormalise, OSError) as exc:
            failures.append((str(entry.path), str(exc)))
        if len(batch) >= batch_size:
            parts.append(views.embed(backbone, batch))
            batch = []
        if progress is not None:
            progress(1)
    if batch:
        parts.append(views.embed(backbone, batch))
    dim = views.feature_dim(backbone.dim)
    rows = np.concatenate(parts) if parts else np.empty((0, dim), np.float32)
    per_image = rows.reshape(len(kept), 1 + copies, dim)
    augmented = np.ascontiguousarray(per_image[:, 1:].transpose(1, 0, 2)) if copies else None
    return FeatureTable(
        dataset.subset(kept),
        np.ascontiguousarray(per_image[:, 0]),
        tuple(facts),
        tuple(failures),
        augmented,
        tuple(content_ids),
        faces is not None,
    )


def _face_images(
    pixels: Image.Image, faces: FaceRows, normalisation: Normalisation
) -> list[np.ndarray]:
    found = faces.find(pixels)
    if not found:
        raise CannotNormalise("no face found")
    out = []
    for face in found:
        try:
            out.append(normalisation.apply(cut(pixels, face, faces.crop.margin)))
        except CannotNormalise:
            continue  # a face too small to normalise: its siblings may still be usable
    if not out:
        raise CannotNormalise(f"none of the {len(found)} face(s) is large enough to normalise")
    return out


def highest_per_image(
    content_ids: Sequence[str], scores: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For face rows: each file's first row index (in row order) and its highest face score —
    an item's score in the ``faces`` detector."""
    first: dict[str, int] = {}
    best: dict[str, float] = {}
    for row, (image, score) in enumerate(zip(content_ids, scores, strict=True)):
        first.setdefault(image, row)
        best[image] = max(best.get(image, -np.inf), float(score))
    rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
    return rows, np.array([best[image] for image in first], dtype=np.float64)
