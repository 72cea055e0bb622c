"""Sample weights that stop the largest source from defining a class: ``none``, ``class`` (each
class half the weight) or ``source`` (each class's half shared equally among its sources);
scaled to average 1 (docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

WeightScheme = Literal["none", "class", "source"]
SCHEMES: tuple[str, ...] = ("none", "class", "source")


def sample_weights(labels: np.ndarray, groups: Sequence[str], scheme: WeightScheme) -> np.ndarray:
    """One weight per item, averaging 1; raises ``ValueError`` for an unknown scheme."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown weighting {scheme!r}; use one of {', '.join(SCHEMES)}")
    labels = np.asarray(labels)
    weights = np.ones(labels.size, dtype=np.float64)
    if scheme == "none" or labels.size == 0:
        return weights
    keys = np.asarray([str(g) for g in groups], dtype=object)
    if keys.size != labels.size:
        raise ValueError(f"{keys.size} groups for {labels.size} labels")
    present = [c for c in (0, 1) if np.any(labels == c)]
    for label in present:
        in_class = labels == label
        if scheme == "class":
            weights[in_class] = 1.0 / in_class.sum()
            continue
        names = sorted(set(keys[in_class].tolist()))
        for name in names:
            member = in_class & (keys == name)
            weights[member] = 1.0 / len(names) / member.sum()
    scaled: np.ndarray = weights * (labels.size / weights.sum())
    return scaled
