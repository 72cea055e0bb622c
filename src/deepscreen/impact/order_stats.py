"""Order statistics of integer values per group without sorting them (a radix select): a histogram
per cell of a monotone, log-scaled bucket key locates each wanted rank's bucket, and only the
values in those buckets are partitioned. Exact: the same values as sorting every group."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["Blocks", "GroupOrderStatistics", "blocks_of"]

_MANTISSA_BITS = 52
_EXPONENT_BIAS = 1023
_MAX_SUB_BITS = 8  # buckets per octave: 2**8, a bucket spans 0.4% of its values' magnitude


def bucket_keys(values: NDArray[np.int64], sub_bits: int) -> NDArray[np.int64]:
    """A non-decreasing function of each value: 0 for 0, else ±(its float's exponent and
    ``sub_bits`` leading mantissa bits, counted from 1 = |1|); integers are 0 or ≥ 1 in size."""
    floats = values.astype(np.float64)
    negative = floats < 0
    has_negative = bool(negative.any())
    if has_negative:
        np.abs(floats, out=floats)
    keys = floats.view(np.int64)
    np.right_shift(keys, _MANTISSA_BITS - sub_bits, out=keys)
    keys -= (_EXPONENT_BIAS << sub_bits) - 1
    np.maximum(keys, 0, out=keys)
    if has_negative:
        np.negative(keys, out=keys, where=negative)
    return keys


_BLOCK = 1 << 20  # values per block: per-value temporaries stay a few MB

Blocks = Callable[[int, int], NDArray[np.int64]]
"""The values of positions ``start`` to ``end``: computed on demand, a block at a time."""


def blocks_of(values: NDArray[np.int64]) -> Blocks:
    """``Blocks`` of an array."""
    return lambda start, end: values[start:end]


class GroupOrderStatistics:
    """Per group, its number of values and the values of given ranks divided by ``scale``.
    ``cells``: each value's cell; ``of_cell``: per grouping set, each cell's group (``n_groups``
    when in none); every group is in one set."""

    def __init__(
        self,
        cells: NDArray[np.int64],
        values: Blocks,
        of_cell: Sequence[NDArray[np.int64]],
        n_groups: int,
        scale: float,
        buckets: tuple[int, int, int] = (0, 0, 1),
    ) -> None:
        self._sub_bits, self._low, self._span = buckets  # mantissa bits, lowest key, keys in use
        self._cells, self._values, self._of_cell, self._scale = cells, values, of_cell, scale
        n_cells, span = int(of_cell[0].shape[0]), self._span
        per_cell = np.zeros(n_cells * span, dtype=np.int64)
        for _, bins, _ in self._blocks():
            per_cell += np.bincount(bins, minlength=per_cell.shape[0])
        per_group = np.zeros((n_groups + 1, span), dtype=np.int64)
        for mapping in of_cell:
            np.add.at(per_group, mapping, per_cell.reshape(n_cells, span))
        self._cumulative = np.cumsum(per_group[:n_groups], axis=1)
        sizes = self._cumulative[:, -1]
        self.groups = np.flatnonzero(sizes)
        self.sizes = sizes[self.groups]

    def _blocks(self) -> Iterator[tuple[int, NDArray[np.int64], NDArray[np.int64]]]:
        """(first position, cell · span + bucket of each value, the values) by blocks."""
        step = max(_BLOCK, self._span)
        for start in range(0, self._cells.shape[0], step):
            values = self._values(start, start + step)
            bins = bucket_keys(values, self._sub_bits)
            bins -= self._low
            bins += self._cells[start : start + step] * self._span
            yield start, bins, values

    @classmethod
    def build(
        cls,
        cells: NDArray[np.int64],
        values: Blocks,
        of_cell: Sequence[NDArray[np.int64]],
        n_groups: int,
        scale: float,
    ) -> GroupOrderStatistics | None:
        """With the most buckets per octave that keep cells × buckets within a budget; None if
        even one bucket per octave does not fit (too many cells: sort instead)."""
        n = int(cells.shape[0])
        if n == 0:
            return cls(cells, values, of_cell, n_groups, scale)
        lows, highs = [], []
        for start in range(0, n, _BLOCK):
            block = values(start, start + _BLOCK)
            lows.append(int(block.min()))
            highs.append(int(block.max()))
        n_cells = int(of_cell[0].shape[0])
        budget = max(1 << 16, min(1 << 21, 4 * n))
        extremes = np.array([min(lows), max(highs)], dtype=np.int64)
        for sub_bits in range(_MAX_SUB_BITS, -1, -1):
            low, high = bucket_keys(extremes, sub_bits).tolist()
            if n_cells * (high - low + 1) <= budget:
                return cls(cells, values, of_cell, n_groups, scale, (sub_bits, low, high - low + 1))
        return None

    def order_statistics(self, ranks: Sequence[Sequence[int]]) -> list[NDArray[np.float64]]:
        """Per group of ``groups`` (in order), the values of its 0-based ``ranks`` (ascending,
        distinct, each < its size), divided by ``scale``."""
        span = self._span
        wanted: list[tuple[int, NDArray[np.int64], NDArray[np.intp]]] = []
        keys: list[int] = []  # group · span + bucket of each wanted entry
        for index, (group, group_ranks) in enumerate(zip(self.groups.tolist(), ranks, strict=True)):
            cumulative = self._cumulative[group]
            at = np.asarray(group_ranks, dtype=np.int64)
            buckets = np.searchsorted(cumulative, at, side="right")
            before = np.where(buckets > 0, cumulative[np.maximum(buckets - 1, 0)], 0)
            for bucket in np.unique(buckets).tolist():
                take = np.flatnonzero(buckets == bucket)
                wanted.append((index, at[take] - before[take], take))
                keys.append(group * span + bucket)
        out = [np.empty(len(group_ranks), dtype=np.float64) for group_ranks in ranks]
        if not wanted:
            return out
        wanted_keys = np.asarray(keys, dtype=np.int64)
        marked = self._marked(wanted_keys)
        picked: list[tuple[NDArray[np.int64], NDArray[np.int64]]] = [(wanted_keys[:0],) * 2]
        for _, block, block_values in self._blocks():
            at = np.flatnonzero(marked[block])
            picked.append((block[at], block_values[at]))
        bins = np.concatenate([block for block, _ in picked])
        values = np.concatenate([block_values for _, block_values in picked])
        chunks: list[NDArray[np.int64] | None] = [None] * len(wanted)
        by_key = np.argsort(wanted_keys)
        for mapping in self._of_cell:  # the candidates of each wanted entry, one set at a time
            group_keys = mapping[bins // span] * span + bins % span
            slot = np.minimum(np.searchsorted(wanted_keys[by_key], group_keys), len(wanted) - 1)
            hit = wanted_keys[by_key][slot] == group_keys
            entry = np.where(hit, by_key[slot], len(wanted))  # len(wanted): none in this set
            counts = np.bincount(entry, minlength=len(wanted) + 1)
            small = len(wanted) < np.iinfo(np.int16).max  # a radix sort
            order = np.argsort(entry.astype(np.int16) if small else entry, kind="stable")
            bounds = np.concatenate(([0], np.cumsum(counts))).tolist()
            sorted_values = values[order]
            for index in np.flatnonzero(counts[: len(wanted)]).tolist():
                chunks[index] = sorted_values[bounds[index] : bounds[index + 1]]
        for (index, within, take), chunk in zip(wanted, chunks, strict=True):
            assert chunk is not None, "a wanted bucket holds its rank's value"
            out[index][take] = np.partition(chunk, within)[within] / self._scale
        return out

    def _marked(self, wanted_keys: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Per (cell, bucket) bin: whether a group of the cell wants the bucket."""
        span = self._span
        groups, buckets = np.divmod(wanted_keys, span)
        marked = np.zeros(int(self._of_cell[0].shape[0]) * span, dtype=bool)
        for mapping in self._of_cell:
            order = np.argsort(mapping, kind="stable")
            sorted_groups = mapping[order]
            starts = np.searchsorted(sorted_groups, groups, side="left")
            counts = np.searchsorted(sorted_groups, groups, side="right") - starts
            entry = np.repeat(np.arange(groups.shape[0]), counts)
            offset = np.arange(entry.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
            cells = order[starts[entry] + offset]
            marked[cells * span + buckets[entry]] = True
        return marked
