"""Interval estimates for impact metrics: proportions (Wilson, Clopper–Pearson, rule of three),
bootstraps over items, exact quantile intervals and paired differences. How they are computed:
docs/internals/impact.md; for users: docs/metrics.md, 'Interval methods'."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

ProportionMethod = Literal["wilson", "clopper_pearson"]
QuantileMethod = Literal["exact", "resample"]
NamedStatistic = Literal[
    "mean", "proportion", "ratio", "precision", "recall", "false_positive_rate"
]
Seed = int | Sequence[int]
"""Anything ``numpy.random.default_rng`` accepts as entropy: an int or a sequence of ints."""

PairedStatistic = NamedStatistic | Callable[[NDArray[Any], NDArray[np.intp]], float]

BOOTSTRAP = "bootstrap_percentile"
BOOTSTRAP_EXACT = "bootstrap_exact_percentile"
RULE_OF_THREE = "rule_of_three"

# Rough costs (ns, measured with numpy 2.x) used to pick the cheaper of two exact resampling
# schemes: numpy draws a multinomial as one binomial per category, whose cost grows with the
# expected count until its rejection sampler takes over; an index resample costs one random
# integer per item plus one gather and one add per column.
_NS_PER_MULTINOMIAL_CELL = 40.0
_NS_PER_MULTINOMIAL_COUNT = 4.0  # × min(n / cells, 30)
_NS_PER_INDEX = 4.0
_NS_PER_INDEX_COLUMN = 2.0
_BATCH_ELEMENTS = 4_000_000  # replicates are drawn in batches of about this many elements
_COARSEN_START, _COARSEN_MAX = 0.002, 0.1


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided interval; all three are None when nothing was observed.

    ``n`` is the sample size the estimate rests on (items, not views); ``method`` names the
    interval: ``wilson``, ``clopper_pearson``, ``rule_of_three`` (k = 0: one-sided upper bound),
    ``bootstrap_percentile`` or ``bootstrap_exact_percentile``.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "n": self.n,
            "method": self.method,
        }

    def scaled(self, factor: float) -> Interval:
        """The same interval with value and bounds multiplied by ``factor`` (e.g. 10,000)."""

        def mul(x: float | None) -> float | None:
            return None if x is None else x * factor

        return replace(self, value=mul(self.value), low=mul(self.low), high=mul(self.high))


@dataclass(frozen=True)
class Difference(Interval):
    """``stat(b) − stat(a)`` on the same items, its paired-bootstrap interval, and whether the
    interval excludes 0 (``significant``); ``value_a``/``value_b`` are the two statistics."""

    significant: bool = False
    value_a: float | None = None
    value_b: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "significant": self.significant,
            "value_a": self.value_a,
            "value_b": self.value_b,
        }


# --------------------------------------------------------------------------- proportions


def _check_confidence(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return 1.0 - confidence


def proportion_bounds(
    k: ArrayLike,
    n: ArrayLike,
    *,
    method: ProportionMethod = "wilson",
    confidence: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised ``(value, low, high)`` of k successes in n trials (NaN where n = 0).

    ``k`` and ``n`` broadcast and may be non-integer (effective counts). At k = 0 < n the bounds
    are the rule of three ``[0, 1 − (1 − confidence)^(1/n)]``.
    """
    alpha = _check_confidence(confidence)
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(n, np.float64))
    if np.any(~np.isfinite(k_arr)) or np.any(~np.isfinite(n_arr)):
        raise ValueError("k and n must be finite")
    tolerance = 1e-9 * np.maximum(n_arr, 1.0)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr + tolerance):
        raise ValueError("need 0 <= k <= n")
    k_arr = np.minimum(k_arr, n_arr)
    positive = n_arr > 0
    safe_n = np.where(positive, n_arr, 1.0)
    value = np.where(positive, k_arr / safe_n, np.nan)
    if method == "wilson":
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        denominator = safe_n + z * z
        centre = (k_arr + z * z / 2.0) / denominator
        spread = k_arr * (safe_n - k_arr) / safe_n + z * z / 4.0
        half = z * np.sqrt(np.maximum(spread, 0.0)) / denominator
        low, high = centre - half, centre + half
    elif method == "clopper_pearson":
        with np.errstate(invalid="ignore", divide="ignore"):
            low = np.where(
                k_arr > 0,
                stats.beta.ppf(alpha / 2.0, np.maximum(k_arr, 1e-300), safe_n - k_arr + 1),
                0,
            )
            high = np.where(
                k_arr < safe_n,
                stats.beta.ppf(1.0 - alpha / 2.0, k_arr + 1, np.maximum(safe_n - k_arr, 1e-300)),
                1.0,
            )
    else:
        raise ValueError(f"unknown proportion method {method!r}")
    zero = positive & (k_arr == 0)
    low = np.where(zero, 0.0, low)
    high = np.where(zero, 1.0 - alpha ** (1.0 / safe_n), high)
    low = np.where(positive, np.clip(low, 0.0, value), np.nan)
    high = np.where(positive, np.clip(high, value, 1.0), np.nan)
    return value, low, high


def proportion(
    k: int, n: int, *, method: ProportionMethod = "wilson", confidence: float = 0.95
) -> Interval:
    """k successes in n trials: Wilson (or Clopper–Pearson) interval; rule of three at k = 0."""
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"k and n must be integers, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    value, low, high = proportion_bounds(k, n, method=method, confidence=confidence)
    if n == 0:
        return Interval(None, None, None, 0, method)
    name = RULE_OF_THREE if k == 0 else method
    return Interval(float(value), float(low), float(high), n, name)


def rate_per(
    k: int,
    n: int,
    per: float = 10_000,
    *,
    method: ProportionMethod = "wilson",
    confidence: float = 0.95,
) -> Interval:
    """``proportion(k, n)`` scaled to a rate per ``per`` (prevalence per 10,000 by default)."""
    return proportion(k, n, method=method, confidence=confidence).scaled(per)


# --------------------------------------------------------------------------- bootstrap engine


def _as_columns(*columns: ArrayLike) -> NDArray[np.float64]:
    arrays = [np.asarray(c, dtype=np.float64).reshape(-1) for c in columns]
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) != 1:
        raise ValueError(f"columns differ in length: {sorted(lengths)}")
    rows = np.column_stack(arrays) if arrays else np.empty((0, 0))
    if not np.all(np.isfinite(rows)):
        raise ValueError("values must be finite (drop or impute missing values first)")
    return rows


def _unique_keys(keys: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(first index, inverse) of the distinct rows of an integer key matrix, in sorted order."""
    span = (
        keys.max(axis=0) - keys.min(axis=0) + 1 if len(keys) else np.ones(keys.shape[1], np.int64)
    )
    if keys.shape[1] == 1 or float(np.prod(span.astype(np.float64))) < 2.0**62:
        flat = np.zeros(len(keys), dtype=np.int64)
        for j in range(keys.shape[1]):
            flat = flat * span[j] + (keys[:, j] - keys[:, j].min())
        _, first, inverse = np.unique(flat, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def _distinct_rows(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """The distinct rows in sorted order and how often each occurs."""
    varying = [j for j in range(rows.shape[1]) if np.any(rows[:, j] != rows[0, j])]
    if not varying:
        return rows[:1], np.array([rows.shape[0]], dtype=np.int64)
    if len(varying) == 1:
        _, first, counts = np.unique(rows[:, varying[0]], return_index=True, return_counts=True)
        return rows[first], counts.astype(np.int64)
    order = np.lexsort(rows[:, varying].T[::-1])
    ordered = rows[order]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = np.any(ordered[1:] != ordered[:-1], axis=1)
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, len(ordered))).astype(np.int64)
    return ordered[starts], counts


def _coarsen(
    rows: NDArray[np.float64], counts: NDArray[np.int64], max_distinct: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """At most ``max_distinct`` cells of width δ·sd (docs/internals/impact.md), cell means."""
    if len(rows) <= max_distinct:
        return rows, counts
    total = counts.sum()
    mean = counts @ rows / total
    sd = np.sqrt(counts @ (rows - mean) ** 2 / total)
    origin = rows.min(axis=0)
    delta = _COARSEN_START
    while True:
        width = np.where(sd > 0, delta * sd, 1.0)
        keys = np.floor((rows - origin) / width).astype(np.int64)
        _, inverse = _unique_keys(keys)
        cells = int(inverse.max()) + 1
        if cells <= max_distinct or delta >= _COARSEN_MAX:
            break
        delta = min(2 * delta, _COARSEN_MAX)
    weights = counts.astype(np.float64)
    cell_counts = np.bincount(inverse, weights=weights, minlength=cells)
    cell_rows = np.column_stack(
        [
            np.bincount(inverse, weights=weights * rows[:, j], minlength=cells)
            for j in range(rows.shape[1])
        ]
    )
    return cell_rows / cell_counts[:, None], np.rint(cell_counts).astype(np.int64)


def _replicate_sums(
    rows: NDArray[np.float64], counts: NDArray[np.int64], n_boot: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """Column sums of ``n_boot`` resamples (with replacement, size n) of the rows' items."""
    distinct, width = rows.shape
    n = int(counts.sum())
    out = np.empty((n_boot, width))
    multinomial_cost = distinct * (
        _NS_PER_MULTINOMIAL_CELL + _NS_PER_MULTINOMIAL_COUNT * min(n / distinct, 30.0)
    )
    if multinomial_cost <= n * (_NS_PER_INDEX + _NS_PER_INDEX_COLUMN * width):
        probabilities = counts / n
        batch = max(1, _BATCH_ELEMENTS // distinct)
        for start in range(0, n_boot, batch):
            size = min(batch, n_boot - start)
            draws = rng.multinomial(n, probabilities, size=size)
            out[start : start + size] = draws @ rows
    else:
        expanded = np.repeat(rows, counts, axis=0)
        batch = max(1, _BATCH_ELEMENTS // n)
        for start in range(0, n_boot, batch):
            size = min(batch, n_boot - start)
            index = rng.integers(0, n, size=(size, n))
            for j in range(width):
                out[start : start + size, j] = expanded[:, j][index].sum(axis=1)
    return out


def _percentile(
    replicates: NDArray[np.float64], value: float, alpha: float
) -> tuple[float | None, float | None]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None, None
    low, high = np.quantile(finite, [alpha / 2.0, 1.0 - alpha / 2.0])
    return float(min(low, value)), float(max(high, value))


def _check_boot(n_boot: int, max_distinct: int) -> None:
    if n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot!r}")
    if max_distinct < 1:
        raise ValueError(f"max_distinct must be >= 1, got {max_distinct!r}")


def _resampled(
    rows: NDArray[np.float64], n_boot: int, seed: Seed, max_distinct: int
) -> NDArray[np.float64]:
    distinct, counts = _coarsen(*_distinct_rows(rows), max_distinct)
    return _replicate_sums(distinct, counts, n_boot, np.random.default_rng(seed))


def bootstrap_ratio(
    numerator: ArrayLike,
    denominator: ArrayLike,
    *,
    n_boot: int = 2000,
    seed: Seed = 0,
    confidence: float = 0.95,
    max_distinct: int = 1024,
) -> Interval:
    """``Σ numerator / Σ denominator`` over items, with a percentile bootstrap over items.

    E.g. view prevalence (numerator = views × violating, denominator = views), a Hájek-weighted
    share (numerator = w × y, denominator = w) or precision (acted & violating, acted).
    Replicates whose denominator is 0 are left out. Value None when Σ denominator = 0.
    """
    _check_boot(n_boot, max_distinct)
    alpha = _check_confidence(confidence)
    rows = _as_columns(numerator, denominator)
    n = rows.shape[0]
    total = float(rows[:, 1].sum()) if n else 0.0
    if n == 0 or total == 0.0:
        return Interval(None, None, None, n, BOOTSTRAP)
    value = float(rows[:, 0].sum()) / total
    sums = _resampled(rows, n_boot, seed, max_distinct)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = sums[:, 0] / sums[:, 1]
    low, high = _percentile(replicates, value, alpha)
    return Interval(value, low, high, n, BOOTSTRAP)


def bootstrap_mean(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    n_boot: int = 2000,
    seed: Seed = 0,
    confidence: float = 0.95,
    max_distinct: int = 1024,
) -> Interval:
    """Mean of ``values`` (``Σ w·x / Σ w`` with ``weights``), percentile bootstrap over items."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if weights is None:
        w = np.ones_like(x)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape != x.shape:
            raise ValueError("values and weights differ in length")
        if np.any(w < 0):
            raise ValueError("weights must be non-negative")
    return bootstrap_ratio(
        w * x, w, n_boot=n_boot, seed=seed, confidence=confidence, max_distinct=max_distinct
    )


# --------------------------------------------------------------------------- quantiles


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


def quantile_interval_ranks(
    n: ArrayLike, q: float, *, confidence: float = 0.95
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """0-based ranks ``(lo, hi)`` of the order statistics bounding the exact bootstrap percentile
    interval of the (interpolated) q-quantile of n values; vectorised over ``n`` (each ≥ 1).

    The interval is ``sorted(x)[lo], sorted(x)[hi]``; ties need no special treatment.
    """
    alpha = _check_confidence(confidence)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q!r}")
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
    alpha = _check_confidence(confidence)
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q!r}")
    x = _as_columns(values)[:, 0]
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
    _check_boot(n_boot, 1)
    distinct, counts = np.unique(x, return_counts=True)
    rng = np.random.default_rng(seed)
    position = (n - 1) * q
    j = math.floor(position)
    gamma = position - j
    replicates = np.empty(n_boot)
    batch = max(1, _BATCH_ELEMENTS // len(distinct))
    for start in range(0, n_boot, batch):
        size = min(batch, n_boot - start)
        cumulative = np.cumsum(rng.multinomial(n, counts / n, size=size), axis=1)
        a = distinct[(cumulative <= j).sum(axis=1)]
        b = distinct[(cumulative <= min(j + 1, n - 1)).sum(axis=1)]
        replicates[start : start + size] = np.where(
            gamma >= 0.5, b - (b - a) * (1.0 - gamma), a + (b - a) * gamma
        )
    low, high = _percentile(replicates, value, alpha)
    return Interval(value, low, high, n, BOOTSTRAP)


# --------------------------------------------------------------------------- paired difference


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
    _check_boot(n_boot, max_distinct)
    alpha = _check_confidence(confidence)
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
    value = value_b - value_a
    sums = _resampled(_as_columns(num_a, den_a, num_b, den_b), n_boot, seed, max_distinct)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = sums[:, 2] / sums[:, 3] - sums[:, 0] / sums[:, 1]
    low, high = _percentile(replicates, value, alpha)
    significant = low is not None and high is not None and (low > 0 or high < 0)
    return Difference(value, low, high, n, BOOTSTRAP, significant, value_a, value_b)


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
    rng = np.random.default_rng(seed)
    replicates = np.empty(n_boot)
    for i in range(n_boot):
        index = np.asarray(rng.integers(0, n, size=n), dtype=np.intp)
        replicates[i] = float(statistic(data_b, index)) - float(statistic(data_a, index))
    value = value_b - value_a
    low, high = _percentile(replicates, value, alpha)
    significant = low is not None and high is not None and (low > 0 or high < 0)
    return Difference(value, low, high, n, BOOTSTRAP, significant, value_a, value_b)
