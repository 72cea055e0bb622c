"""The quantile metrics (time to detect, time to action): each group's values read by rank,
with the exact order-statistic intervals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from deepscreen.impact.metric_cells import _HOUR_US
from deepscreen.impact.metric_columns import _Context
from deepscreen.impact.metric_groups import _Column, _Groups
from deepscreen.impact.metric_items import _ItemArrays
from deepscreen.impact.metric_schema import CONFIDENCE
from deepscreen.impact.order_stats import GroupOrderStatistics
from deepscreen.stats import (
    interpolate_order_statistics,
    quantile_interval_ranks,
    quantile_ranks,
)


class _OrderStatistics(Protocol):
    """One group's values of a quantile metric, read by rank (``_PerGroup``)."""

    @property
    def n(self) -> int:
        """How many values (≥ 1)."""
        ...

    def at(self, ranks: list[int]) -> NDArray[np.float64]:
        """The values of the given 0-based ranks (sorted, distinct) in ascending order."""
        ...


class _Partitioned:
    """Order statistics of an array of values (one ``np.partition``: no full sort)."""

    def __init__(self, values: NDArray[np.float64]) -> None:
        self._values = values

    @property
    def n(self) -> int:
        return int(self._values.shape[0])

    def at(self, ranks: list[int]) -> NDArray[np.float64]:
        return np.partition(self._values, ranks)[ranks]


class _QuantileSamples(Protocol):
    """The values of one quantile source per group, read by rank (``_time_metrics``)."""

    @property
    def groups(self) -> NDArray[np.int64]:
        """The groups with values."""
        ...

    @property
    def sizes(self) -> NDArray[np.int64]:
        """How many values each of ``groups`` has (≥ 1)."""
        ...

    def order_statistics(self, ranks: Sequence[Sequence[int]]) -> list[NDArray[np.float64]]:
        """Per group of ``groups``, the values of its 0-based ranks (sorted, distinct)."""
        ...


class _PerGroup:
    """``_QuantileSamples`` from one ``_OrderStatistics`` per group."""

    def __init__(self, chunks: Sequence[tuple[int, _OrderStatistics]]) -> None:
        self._chunks = chunks
        self.groups = np.array([group for group, _ in chunks], dtype=np.int64)
        self.sizes = np.array([sample.n for _, sample in chunks], dtype=np.int64)

    def order_statistics(self, ranks: Sequence[Sequence[int]]) -> list[NDArray[np.float64]]:
        return [
            sample.at(list(wanted)) for (_, sample), wanted in zip(self._chunks, ranks, strict=True)
        ]


def _quantile_samples(groups: _Groups, arrays: _ItemArrays, source: str) -> _QuantileSamples:
    """A source's values per group: by radix select on the integer µs (``order_stats``), or by
    one stable sort per grouping set and a partition per group when there are too many cells."""
    cells, blocks = arrays.quantile_blocks(source)
    selection = GroupOrderStatistics.build(cells, blocks, groups.of_cell, groups.count, _HOUR_US)
    if selection is not None:
        return selection
    micros = blocks(0, cells.shape[0])
    return _PerGroup(
        [(group, _Partitioned(x)) for group, (x,) in groups.split(cells, micros / _HOUR_US)]
    )


_QUANTILES: Mapping[str, tuple[tuple[str, float], ...]] = MappingProxyType(
    {
        "detection": (("time_to_detect_median_hours", 0.5),),
        "action": (("time_to_action_median_hours", 0.5), ("time_to_action_p90_hours", 0.9)),
    }
)
"""Quantile metrics per source of values (detection hours, action hours)."""


def _time_metrics(c: _Context, samples: Mapping[str, _QuantileSamples]) -> dict[str, _Column]:
    """The quantile metrics from each group's values (``samples[source]``)."""
    columns: dict[str, _Column] = {}
    for source, wanted in _QUANTILES.items():
        for name, _ in wanted:
            columns[name] = _Column.empty(c.groups.count)
        sample = samples[source]
        sizes = np.asarray(sample.sizes, dtype=np.int64)
        if sizes.shape[0] == 0:
            continue
        bounds = {
            name: quantile_interval_ranks(sizes, q, confidence=CONFIDENCE)
            if c.quantile_intervals
            else None
            for name, q in wanted
        }
        needed: list[list[int]] = []
        for index, n in enumerate(sizes.tolist()):
            kth: set[int] = set()
            for name, q in wanted:
                kth.update(quantile_ranks(n, q))
                ranks = bounds[name]
                if ranks is not None:
                    kth.update((int(ranks[0][index]), int(ranks[1][index])))
            needed.append(sorted(kth))
        values = sample.order_statistics(needed)
        for index, (group, n) in enumerate(
            zip(sample.groups.tolist(), sizes.tolist(), strict=True)
        ):
            at = dict(zip(needed[index], values[index].tolist(), strict=True))
            for name, q in wanted:
                column = columns[name]
                lower, upper = quantile_ranks(n, q)
                value = interpolate_order_statistics(at[lower], at[upper], n, q)
                column.value[group], column.n[group] = value, n
                ranks = bounds[name]
                if ranks is not None:
                    column.low[group] = min(at[int(ranks[0][index])], value)
                    column.high[group] = max(at[int(ranks[1][index])], value)
    return columns
