"""Quantiles: numpy's linear interpolation from two order statistics, and the bootstrap
percentile interval of a quantile, exact (closed form) or resampled (docs/internals/stats.md)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from deepscreen.stats.bootstrap import BOOTSTRAP, BOOTSTRAP_EXACT, as_columns, percentile
from deepscreen.stats.proportions import Interval
from deepscreen.stats.resampling import (
    Seed,
    batches,
    check_confidence,
    check_replicates,
    generator,
)

QuantileMethod = Literal["exact", "resample"]


def _smallest_count(
    n: NDArray[np.int64], rank: NDArray[np.int64], target: float
) -> NDArray[np.int64]:
    """Smallest i in [1, n] with P(Binomial(n, i/n) >= rank) >= target (vectorised bisection)."""
    low = np.ones_like(n)
    high = n.copy()
    while np.any(low < high):
        middle = (low + high) // 2
        enough = stats.binom.sf(rank - 1, n, middle / n) >= target
        high = np.where(enough, middle, high)
        low = np.where(enough, low, middle + 1)
    return low


def _check_q(q: float) -> None:
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q!r}")


def quantile_interval_ranks(
    n: ArrayLike, q: float, *, confidence: float = 0.95
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """0-based ranks ``(lo, hi)`` of the order statistics bounding the exact bootstrap percentile
    interval of the (interpolated) q-quantile of n values; vectorised over ``n`` (each ≥ 1).

    The interval is ``sorted(x)[lo], sorted(x)[hi]``; ties need no special treatment.
    """
    alpha = check_confidence(confidence)
    _check_q(q)
    sizes = np.asarray(n, dtype=np.int64)
    if np.any(sizes < 1):
        raise ValueError("n must be >= 1")
    position = (sizes - 1) * q
    below = np.floor(position).astype(np.int64)
    above = np.where(position > below, np.minimum(below + 1, sizes - 1), below)
    lo = _smallest_count(sizes, below + 1, alpha / 2.0) - 1
    hi = _smallest_count(sizes, above + 1, 1.0 - alpha / 2.0) - 1
    return lo, hi


def interpolated_quantile(sorted_or_partitioned: NDArray[np.float64], q: float) -> float:
    """numpy's linear quantile from an array whose ranks ⌊(n−1)q⌋ and ⌈(n−1)q⌉ are in place."""
    n = int(sorted_or_partitioned.shape[0])
    lower, upper = quantile_ranks(n, q)
    return interpolate_order_statistics(
        float(sorted_or_partitioned[lower]), float(sorted_or_partitioned[upper]), n, q
    )


def quantile_ranks(n: int, q: float) -> tuple[int, int]:
    """0-based ranks ``(⌊(n−1)q⌋, min(⌊(n−1)q⌋ + 1, n − 1))`` of the two order statistics that
    numpy's linear q-quantile of n ≥ 1 values interpolates between."""
    j = math.floor((n - 1) * q)
    return j, min(j + 1, n - 1)


def interpolate_order_statistics(lower: float, upper: float, n: int, q: float) -> float:
    """numpy's linear q-quantile of n values from its two order statistics (``quantile_ranks``)."""
    position = (n - 1) * q
    gamma = position - math.floor(position)
    if gamma >= 0.5:
        return upper - (upper - lower) * (1.0 - gamma)
    return lower + (upper - lower) * gamma


def bootstrap_quantile(
    values: ArrayLike,
    q: float,
    *,
    n_boot: int = 2000,
    seed: Seed = 0,
    confidence: float = 0.95,
    method: QuantileMethod = "exact",
) -> Interval:
    """The q-quantile (linear interpolation) with a percentile bootstrap interval over items.

    ``method="exact"`` (default) uses the closed-form bootstrap distribution of the order
    statistics (no resampling; ``n_boot`` and ``seed`` unused); ``"resample"`` draws ``n_boot``
    multinomial resamples of the distinct values.
    """
    alpha = check_confidence(confidence)
    _check_q(q)
    x = as_columns(values)[:, 0]
    n = x.shape[0]
    if n == 0:
        return Interval(None, None, None, 0, BOOTSTRAP_EXACT if method == "exact" else BOOTSTRAP)
    value = float(np.quantile(x, q))
    if method == "exact":
        lo, hi = (int(r) for r in quantile_interval_ranks(n, q, confidence=confidence))
        part = np.partition(x, sorted({lo, hi}))
        return Interval(
            value, float(min(part[lo], value)), float(max(part[hi], value)), n, BOOTSTRAP_EXACT
        )
    if method != "resample":
        raise ValueError(f"unknown quantile method {method!r}")
    check_replicates(n_boot)
    distinct, counts = np.unique(x, return_counts=True)
    rng = generator(seed)
    position = (n - 1) * q
    j = math.floor(position)
    gamma = position - j
    replicates = np.empty(n_boot)
    for start, size in batches(n_boot, len(distinct)):
        cumulative = np.cumsum(rng.multinomial(n, counts / n, size=size), axis=1)
        a = distinct[(cumulative <= j).sum(axis=1)]
        b = distinct[(cumulative <= min(j + 1, n - 1)).sum(axis=1)]
        replicates[start : start + size] = np.where(
            gamma >= 0.5, b - (b - a) * (1.0 - gamma), a + (b - a) * gamma
        )
    low, high = percentile(replicates, value, alpha)
    return Interval(value, low, high, n, BOOTSTRAP)
