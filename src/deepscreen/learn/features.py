"""Turn a labelled set into a feature table: load safely, normalise, embed in batches.

Files that cannot be read or normalised are kept in ``failures`` with their reason — counted
and shown, never silently dropped. The same pass records each file's trivial facts (size,
format, JPEG quality) for the confound check, and, with an ``Augmentation``, embeds that many
damaged copies of every image (``augmented``: training rows only, never scored).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from PIL import Image

from deepscreen.core.errors import InvalidInput
from deepscreen.learn.augment import Augmentation
from deepscreen.learn.confounds import FileFacts, facts_from_image
from deepscreen.learn.dataset import LabelledSet
from deepscreen.media import MediaLimits, read_media_file
from deepscreen.signals.backbones import Backbone
from deepscreen.signals.normalise import CannotNormalise, Normalisation
from deepscreen.signals.views import Views

Progress = Callable[[int], None]
"""Called with the number of files just processed."""


@dataclass(frozen=True)
class FeatureTable:
    dataset: LabelledSet  # only the items that produced features, in row order
    features: np.ndarray
    facts: tuple[FileFacts, ...]
    failures: tuple[tuple[str, str], ...]  # (path, reason)
    augmented: np.ndarray | None = None  # (copies, rows, dim): damaged copies of each row
    content_ids: tuple[str, ...] = ()  # each row's file as ``sha256:<hex>`` of its bytes

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
) -> FeatureTable:
    """Features of every readable item: ``views`` of each normalised image (default: the
    whole image), plus ``augmentation.copies`` damaged copies of each when given."""
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
            images = [normalisation.apply(item.pixels)]
            if augmentation is not None:
                images += [
                    normalisation.apply(v) for v in augmentation.views(item.pixels, item.data)
                ]
            with Image.open(BytesIO(item.data)) as header:
                facts.append(facts_from_image(item.data, header))
            batch.extend(images)
            kept.append(index)
            content_ids.append(item.item_id)
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
    )
