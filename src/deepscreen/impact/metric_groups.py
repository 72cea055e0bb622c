"""The metric table's output groups (``_Groups``: period, period × policy, period × segment)
and one metric's values over them (``_Column``); ``_Groups.assemble`` builds the result."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from deepscreen.impact.metric_cells import _Cells
from deepscreen.impact.metric_schema import ALL, CONFIDENCE, METRICS, TABLE_SCHEMA
from deepscreen.stats import proportion_bounds


@dataclass(frozen=True)
class _Groups:
    """The output groups: one per (period), (period, policy) and (period, segment) present."""

    period: list[str]
    policy: list[str]
    segment: list[str]
    of_cell: list[NDArray[np.int64]]  # per grouping set: cell id → group (len(period) if absent)

    @property
    def count(self) -> int:
        return len(self.period)

    @classmethod
    def build(cls, cells: _Cells, uploads: NDArray[np.float64]) -> _Groups:
        period_of, policy_of, segment_of = cells.components()
        present = uploads > 0
        sets: list[tuple[NDArray[np.int64], list[str], int]] = [
            (np.zeros_like(period_of), [ALL], 0)
        ]
        if cells.policy_labels is not None:
            sets.append((policy_of, cells.policy_labels, 1))
        if cells.segment_labels is not None:
            sets.append((segment_of, cells.segment_labels, 2))
        keys = [period_of * len(labels) + member_of for member_of, labels, _ in sets]
        entries: list[tuple[tuple[int, bool, str, bool, str], int, int]] = []
        for position, ((_, labels, kind), key) in enumerate(zip(sets, keys, strict=True)):
            for value in np.unique(key[present]).tolist():
                p, member = divmod(value, len(labels))
                policy = labels[member] if kind == 1 else ALL
                segment = labels[member] if kind == 2 else ALL
                entries.append(((p, kind == 1, policy, kind == 2, segment), position, value))
        entries.sort(key=lambda entry: entry[0])
        absent = len(entries)
        of_cell = []
        for position, key in enumerate(keys):
            members = [(v, g) for g, (_, pos, v) in enumerate(entries) if pos == position]
            if not members:
                of_cell.append(np.full(key.shape, absent, dtype=np.int64))
                continue
            values = np.array([v for v, _ in members], dtype=np.int64)
            ids = np.array([g for _, g in members], dtype=np.int64)
            order = np.argsort(values)
            values, ids = values[order], ids[order]
            slot = np.clip(np.searchsorted(values, key), 0, len(values) - 1)
            mapping = np.where(present & (values[slot] == key), ids[slot], absent)
            of_cell.append(mapping.astype(np.int64))
        return cls(
            [cells.period_labels[key[0]] for key, _, _ in entries],
            [key[2] for key, _, _ in entries],
            [key[4] for key, _, _ in entries],
            of_cell,
        )

    def rollup(self, per_cell: NDArray[np.float64]) -> NDArray[np.float64]:
        """Sum a per-cell aggregate into every group (each cell is in one group per set)."""
        total = np.zeros(self.count + 1)
        for mapping in self.of_cell:
            total += np.bincount(mapping, weights=per_cell, minlength=self.count + 1)
        return total[: self.count]

    def item_groups(self, cell_ids: NDArray[np.int64]) -> list[NDArray[np.int64]]:
        """Per grouping set, the group of each item (given its cell); absent: ``count``."""
        return [mapping[cell_ids] for mapping in self.of_cell]

    def split(
        self, cell_ids: NDArray[np.int64], *arrays: NDArray[Any]
    ) -> Iterator[tuple[int, tuple[NDArray[Any], ...]]]:
        """(group, the arrays restricted to its items) for every group with items; one stable
        sort per grouping set (a radix sort while group ids fit in 16 bits)."""
        small = self.count + 1 < np.iinfo(np.int16).max
        for group_of_item in self.item_groups(cell_ids):
            if group_of_item.size == 0:
                continue
            counts = np.bincount(group_of_item, minlength=self.count + 1)
            keys = group_of_item.astype(np.int16) if small else group_of_item
            order = np.argsort(keys, kind="stable")
            ordered = [array[order] for array in arrays]
            bounds = np.concatenate(([0], np.cumsum(counts)))
            for group in np.flatnonzero(counts[: self.count]).tolist():
                start, end = int(bounds[group]), int(bounds[group + 1])
                yield group, tuple(array[start:end] for array in ordered)

    def label(self, group: int) -> str:
        return f"{self.period[group]}\x1f{self.policy[group]}\x1f{self.segment[group]}"

    def assemble(self, order: Sequence[str], columns: Mapping[str, _Column]) -> pa.Table:
        """The result table; every interval is widened, if floating-point rounding between the
        SQL sums and the numpy bootstrap requires it, to contain its value."""
        g, m = self.count, len(order)
        for column in columns.values():
            has_interval = ~np.isnan(column.low) & ~np.isnan(column.value)
            column.low = np.where(has_interval, np.minimum(column.low, column.value), column.low)
            has_interval = ~np.isnan(column.high) & ~np.isnan(column.value)
            column.high = np.where(has_interval, np.maximum(column.high, column.value), column.high)

        def stack(attribute: str) -> NDArray[Any]:
            return np.column_stack([getattr(columns[name], attribute) for name in order]).reshape(
                -1
            )

        def floats(attribute: str) -> pa.Array:
            return pa.array(stack(attribute).astype(np.float64), pa.float64(), from_pandas=True)

        def repeat(labels: list[str]) -> pa.Array:
            return pa.array(np.repeat(np.array(labels, dtype=object), m), pa.string())

        def tile(labels: Sequence[str]) -> pa.Array:
            return pa.array(np.tile(np.array(labels, dtype=object), g), pa.string())

        return pa.table(
            [
                repeat(self.period),
                repeat(self.policy),
                repeat(self.segment),
                tile(list(order)),
                floats("value"),
                floats("low"),
                floats("high"),
                pa.array(stack("n").astype(np.int64), pa.int64()),
                tile([METRICS[name] for name in order]),
            ],
            schema=TABLE_SCHEMA,
        )


# --------------------------------------------------------------------------- metric columns


@dataclass
class _Column:
    """One metric over all groups (NaN = null)."""

    value: NDArray[np.float64]
    low: NDArray[np.float64]
    high: NDArray[np.float64]
    n: NDArray[np.int64]

    @classmethod
    def count(cls, value: NDArray[np.float64], n: NDArray[np.float64]) -> _Column:
        nothing = np.full(value.shape, np.nan)
        return cls(value.astype(np.float64), nothing, nothing.copy(), np.rint(n).astype(np.int64))

    @classmethod
    def share(cls, k: NDArray[np.float64], n: NDArray[np.float64], scale: float = 1.0) -> _Column:
        value, low, high = proportion_bounds(k, n, confidence=CONFIDENCE)
        return cls(value * scale, low * scale, high * scale, np.rint(n).astype(np.int64))

    @classmethod
    def empty(cls, groups: int) -> _Column:
        return cls(
            np.full(groups, np.nan),
            np.full(groups, np.nan),
            np.full(groups, np.nan),
            np.zeros(groups, dtype=np.int64),
        )
