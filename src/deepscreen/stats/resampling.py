"""The resampling pieces every estimator shares: seeds, replicate counts and batches, the
percentile interval of replicates, and the confidence-level check (docs/internals/stats.md)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

Seed = int | Sequence[int]
"""Anything ``numpy.random.default_rng`` accepts as entropy: an int or a sequence of ints."""

BATCH_ELEMENTS = 4_000_000
"""Replicates are drawn in batches of about this many random numbers (bounded memory)."""


def check_confidence(confidence: float, *, name: str = "confidence") -> float:
    """``alpha = 1 − confidence`` after checking that 0 < confidence < 1."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {confidence!r}")
    return 1.0 - confidence


def check_replicates(count: int, *, minimum: int = 1, name: str = "n_boot") -> int:
    """``count`` after checking it is an integer (not a bool) and at least ``minimum``."""
    if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {count!r}")
    return int(count)


def generator(seed: Seed) -> np.random.Generator:
    """The one way every estimator turns a seed into random numbers."""
    return np.random.default_rng(seed)


def batches(
    replicates: int, per_replicate: int, batch_elements: int = BATCH_ELEMENTS
) -> Iterator[tuple[int, int]]:
    """``(start, size)`` of consecutive batches of ``replicates`` replicates, each batch about
    ``batch_elements`` random numbers when a replicate needs ``per_replicate`` of them."""
    batch = max(1, batch_elements // max(per_replicate, 1))
    for start in range(0, replicates, batch):
        yield start, min(batch, replicates - start)


def two_sided(alpha: float) -> tuple[float, float]:
    """The quantile levels ``(α/2, 1 − α/2)`` of a two-sided percentile interval."""
    return alpha / 2.0, 1.0 - alpha / 2.0


def finite_quantiles(
    replicates: NDArray[np.float64], levels: tuple[float, float]
) -> tuple[float, float] | None:
    """numpy's linear quantiles at ``levels`` of the finite replicates (None if there are none):
    the percentile interval of a bootstrap."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None
    low, high = np.quantile(finite, levels)
    return float(low), float(high)
