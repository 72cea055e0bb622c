"""Bootstrap engines over items: Σ-ratio statistics (exact multinomial or index resampling),
column sums of paired replicates, and class-stratified index resamples (docs/internals/stats.md)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

from deepscreen.stats.proportions import Interval
from deepscreen.stats.resampling import (
    BATCH_ELEMENTS,
    Seed,
    batches,
    check_confidence,
    check_replicates,
    finite_quantiles,
    generator,
    two_sided,
)

BOOTSTRAP = "bootstrap_percentile"
BOOTSTRAP_EXACT = "bootstrap_exact_percentile"

# Rough costs (ns, measured with numpy 2.x) used to pick the cheaper of two exact resampling
# schemes: numpy draws a multinomial as one binomial per category, whose cost grows with the
# expected count until its rejection sampler takes over; an index resample costs one random
# integer per item plus one gather and one add per column.
_NS_PER_MULTINOMIAL_CELL = 40.0
_NS_PER_MULTINOMIAL_COUNT = 4.0  # × min(n / cells, 30)
_NS_PER_INDEX = 4.0
_NS_PER_INDEX_COLUMN = 2.0
_COARSEN_START, _COARSEN_MAX = 0.002, 0.1


def as_columns(*columns: ArrayLike) -> NDArray[np.float64]:
    """The columns as one finite ``(n, len(columns))`` float matrix (ValueError otherwise)."""
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


def distinct_rows(rows: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
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


def coarsen(
    rows: NDArray[np.float64], counts: NDArray[np.int64], max_distinct: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """At most ``max_distinct`` cells of width δ·sd (docs/internals/stats.md), cell means."""
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


def replicate_sums(
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
        for start, size in batches(n_boot, distinct):
            draws = rng.multinomial(n, probabilities, size=size)
            out[start : start + size] = draws @ rows
    else:
        expanded = np.repeat(rows, counts, axis=0)
        for start, size in batches(n_boot, n):
            index = rng.integers(0, n, size=(size, n))
            for j in range(width):
                out[start : start + size, j] = expanded[:, j][index].sum(axis=1)
    return out


def percentile(
    replicates: NDArray[np.float64], value: float, alpha: float
) -> tuple[float | None, float | None]:
    """The percentile interval of the finite replicates, widened to contain ``value``."""
    bounds = finite_quantiles(replicates, two_sided(alpha))
    if bounds is None:
        return None, None
    return min(bounds[0], value), max(bounds[1], value)


def check_boot(n_boot: int, max_distinct: int) -> None:
    check_replicates(n_boot)
    check_replicates(max_distinct, name="max_distinct")


def resampled(
    rows: NDArray[np.float64], n_boot: int, seed: Seed, max_distinct: int
) -> NDArray[np.float64]:
    """``(n_boot, columns)`` column sums of item resamples of ``rows`` (coarsened first)."""
    distinct, counts = coarsen(*distinct_rows(rows), max_distinct)
    return replicate_sums(distinct, counts, n_boot, generator(seed))


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
    check_boot(n_boot, max_distinct)
    alpha = check_confidence(confidence)
    rows = as_columns(numerator, denominator)
    n = rows.shape[0]
    total = float(rows[:, 1].sum()) if n else 0.0
    if n == 0 or total == 0.0:
        return Interval(None, None, None, n, BOOTSTRAP)
    value = float(rows[:, 0].sum()) / total
    sums = resampled(rows, n_boot, seed, max_distinct)
    with np.errstate(divide="ignore", invalid="ignore"):
        replicates = sums[:, 0] / sums[:, 1]
    low, high = percentile(replicates, value, alpha)
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


def paired_bootstrap_sums(
    matrix: NDArray[np.float64], *, n_boot: int, seed: Seed, chunk_cells: int = BATCH_ELEMENTS
) -> NDArray[np.float64]:
    """``(n_boot, k)`` column sums of ``matrix`` (``(n, k)``) over bootstrap resamples of rows.

    Each replicate draws ``n`` row indices with replacement; the sums are ``counts @ matrix``
    where ``counts`` are how often each row was drawn. Replicates are made in chunks of about
    ``chunk_cells`` (replicates × rows) so memory stays bounded. Not ``resampled``: its random
    stream differs, and policy comparisons already published would change.
    """
    n, k = matrix.shape
    out = np.zeros((n_boot, k))
    if n == 0 or k == 0:
        return out
    rng = generator(seed)
    for start, size in batches(n_boot, n, chunk_cells):
        draws = rng.integers(0, n, size=(size, n))
        draws += (np.arange(size, dtype=draws.dtype) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n)
        out[start : start + size] = counts.astype(np.float64) @ matrix
    return out


def stratified_indices(
    strata: NDArray[np.int64], n_boot: int, seed: Seed, batch_elements: int = 2_000_000
) -> Iterator[NDArray[np.int64]]:
    """Index matrices (one row per resample) stratified by ``strata``, ``n_boot`` rows in all.

    Each row holds, for each stratum in ascending order, as many indices drawn with replacement
    from that stratum as it has items. Deterministic for a seed. Not ``resampled``: a statistic
    of the resampled items themselves (an AUC, say) is not a sum.
    """
    rng = generator(seed)
    groups = [np.flatnonzero(strata == c) for c in np.unique(strata)]
    for _, rows in batches(n_boot, strata.size, batch_elements):
        parts = [g[rng.integers(0, g.size, size=(rows, g.size))] for g in groups]
        yield np.concatenate(parts, axis=1)


def percentile_if_enough(
    replicates: NDArray[np.float64], n_boot: int, level: float
) -> tuple[float | None, float | None]:
    """Percentile interval over the finite replicates; None if under half the resamples gave
    one. Quantile levels as ``numpy.percentile`` computes them (published intervals unchanged)."""
    if n_boot == 0 or 2 * int(np.isfinite(replicates).sum()) < n_boot:
        return None, None
    percents = np.array([50.0 * (1.0 - level), 50.0 * (1.0 + level)])
    low, high = np.true_divide(percents, 100).tolist()
    bounds = finite_quantiles(replicates, (low, high))
    return (None, None) if bounds is None else bounds
