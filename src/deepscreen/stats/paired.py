"""Paired differences: ``stat(b) − stat(a)`` of two policies on the same items, with a paired
item bootstrap (``Difference``; docs/internals/stats.md)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from deepscreen.stats.bootstrap import BOOTSTRAP, as_columns, check_boot, percentile, resampled
from deepscreen.stats.proportions import Interval
from deepscreen.stats.resampling import Seed, check_confidence, generator

NamedStatistic = Literal[
    "mean", "proportion", "ratio", "precision", "recall", "false_positive_rate"
]
PairedStatistic = NamedStatistic | Callable[[NDArray[Any], NDArray[np.intp]], float]


@dataclass(frozen=True)
class Difference(Interval):
    """``stat(b) − stat(a)`` on the same items, its paired-bootstrap interval, and whether the
    interval excludes 0 (``significant``); ``value_a``/``value_b`` are the two statistics."""

    significant: bool = False
    value_a: float | None = None
    value_b: float | None = None


def _statistic_columns(
    statistic: NamedStatistic, data: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(numerator, denominator) per item such that statistic = Σ numerator / Σ denominator."""
    x = np.asarray(data)
    if statistic in ("mean", "proportion"):
        if x.ndim != 1:
            raise ValueError(f"{statistic!r} takes one value per item (a 1-D array)")
        values = x.astype(np.float64)
        if statistic == "proportion" and not np.all((values == 0) | (values == 1)):
            raise ValueError("'proportion' takes booleans (0/1) per item")
        return values, np.ones_like(values)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"{statistic!r} takes two columns per item (an (n, 2) array)")
    if statistic == "ratio":
        return x[:, 0].astype(np.float64), x[:, 1].astype(np.float64)
    acted, violating = x[:, 0].astype(bool), x[:, 1].astype(bool)
    if statistic == "precision":
        return (acted & violating).astype(np.float64), acted.astype(np.float64)
    if statistic == "recall":
        return (acted & violating).astype(np.float64), violating.astype(np.float64)
    if statistic == "false_positive_rate":
        return (acted & ~violating).astype(np.float64), (~violating).astype(np.float64)
    raise ValueError(f"unknown statistic {statistic!r}")


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> float | None:
    total = float(denominator.sum())
    return None if total == 0.0 else float(numerator.sum()) / total


def _difference(
    replicates: NDArray[np.float64], value_a: float, value_b: float, n: int, alpha: float
) -> Difference:
    value = value_b - value_a
    low, high = percentile(replicates, value, alpha)
    significant = low is not None and high is not None and (low > 0 or high < 0)
    return Difference(value, low, high, n, BOOTSTRAP, significant, value_a, value_b)


def paired_bootstrap_diff(
    a: ArrayLike,
    b: ArrayLike,
    statistic: PairedStatistic = "mean",
    *,
    n_boot: int = 2000,
    seed: Seed = 0,
    confidence: float = 0.95,
    max_distinct: int = 1024,
) -> Difference:
    """``stat(b) − stat(a)`` for two policies evaluated on the SAME items, paired bootstrap.

    Row i of ``a`` and of ``b`` is item i under policy A and B; each replicate resamples item
    indices once and applies them to both, so the item-to-item correlation is kept.

    Named statistics (vectorised, all of the form Σ numerator / Σ denominator):

    - ``"mean"`` / ``"proportion"``: 1-D per-item values (an action rate from booleans, views
      before action, ...);
    - ``"ratio"``: (n, 2) arrays, Σ column 0 / Σ column 1;
    - ``"precision"``, ``"recall"``, ``"false_positive_rate"``: (n, 2) arrays of
      (acted, violating) booleans over labelled items — Σ(acted ∧ violating)/Σ acted, Σ(acted ∧
      violating)/Σ violating, Σ(acted ∧ ¬violating)/Σ ¬violating.

    Or a callable ``statistic(data, idx) -> float`` applied to ``a`` and ``b`` with the same
    resampled index array (a Python loop over replicates: flexible, slower).

    Replicates where either statistic is undefined (0 denominator) are left out.
    """
    check_boot(n_boot, max_distinct)
    alpha = check_confidence(confidence)
    if callable(statistic):
        return _paired_callable(a, b, statistic, n_boot=n_boot, seed=seed, alpha=alpha)
    num_a, den_a = _statistic_columns(statistic, a)
    num_b, den_b = _statistic_columns(statistic, b)
    if num_a.shape != num_b.shape:
        raise ValueError("a and b must describe the same items (same length)")
    n = num_a.shape[0]
    value_a, value_b = _ratio(num_a, den_a), _ratio(num_b, den_b)
    if value_a is None or value_b is None:
        return Difference(None, None, None, n, BOOTSTRAP, False, value_a, value_b)
    sums = resampled(as_columns(num_a, den_a, num_b, den_b), n_boot, seed, max_distinct)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = sums[:, 2] / sums[:, 3] - sums[:, 0] / sums[:, 1]
    return _difference(replicates, value_a, value_b, n, alpha)


def _paired_callable(
    a: ArrayLike,
    b: ArrayLike,
    statistic: Callable[[NDArray[Any], NDArray[np.intp]], float],
    *,
    n_boot: int,
    seed: Seed,
    alpha: float,
) -> Difference:
    data_a, data_b = np.asarray(a), np.asarray(b)
    if data_a.shape[0] != data_b.shape[0]:
        raise ValueError("a and b must describe the same items (same length)")
    n = data_a.shape[0]
    if n == 0:
        return Difference(None, None, None, 0, BOOTSTRAP, False, None, None)
    everything = np.arange(n)
    value_a, value_b = float(statistic(data_a, everything)), float(statistic(data_b, everything))
    if not (math.isfinite(value_a) and math.isfinite(value_b)):
        return Difference(None, None, None, n, BOOTSTRAP, False, None, None)
    rng = generator(seed)
    replicates = np.empty(n_boot)
    for i in range(n_boot):
        index = np.asarray(rng.integers(0, n, size=n), dtype=np.intp)
        replicates[i] = float(statistic(data_b, index)) - float(statistic(data_a, index))
    return _difference(replicates, value_a, value_b, n, alpha)
