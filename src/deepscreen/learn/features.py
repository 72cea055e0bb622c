"""Turn a labelled set into a feature table: load safely, normalise, embed in batches.

Files that cannot be read or normalised are kept in ``failures`` with their reason — counted
and shown, never silently dropped. The same pass records each file's trivial facts (size,
format, JPEG quality) for the confound check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from PIL import Image

from deepscreen.core.errors import InvalidInput
from deepscreen.learn.confounds import FileFacts, facts_from_image
from deepscreen.learn.dataset import LabelledSet
from deepscreen.media import MediaLimits, read_media_file
from deepscreen.signals.backbones import Backbone
from deepscreen.signals.normalise import CannotNormalise, Normalisation

Progress = Callable[[int], None]
"""Called with the number of files just processed."""


@dataclass(frozen=True)
class FeatureTable:
    dataset: LabelledSet  # only the items that produced features, in row order
    features: np.ndarray
    facts: tuple[FileFacts, ...]
    failures: tuple[tuple[str, str], ...]  # (path, reason)

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
) -> FeatureTable:
    limits = limits or MediaLimits()
    kept: list[int] = []
    facts: list[FileFacts] = []
    failures: list[tuple[str, str]] = []
    parts: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    for index, entry in enumerate(dataset.items):
        try:
            item = read_media_file(entry.path, limits=limits)
            if item.pixels is None:
                raise CannotNormalise(f"{item.mime} has no decoded pixels")
            batch.append(normalisation.apply(item.pixels))
            with Image.open(BytesIO(item.data)) as header:
                facts.append(facts_from_image(item.data, header))
            kept.append(index)
        except (InvalidInput, CannotNormalise, OSError) as exc:
            failures.append((str(entry.path), str(exc)))
        if len(batch) >= batch_size:
            parts.append(backbone.embed(batch))
            batch = []
        if progress is not None:
            progress(1)
    if batch:
        parts.append(backbone.embed(batch))
    features = np.concatenate(parts) if parts else np.empty((0, backbone.dim), np.float32)
    return FeatureTable(dataset.subset(kept), features, tuple(facts), tuple(failures))
