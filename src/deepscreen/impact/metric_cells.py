"""The metric table's input and finest groups: the conformed item table, its columns as NumPy
arrays, period codes and the (period, policy, segment) cells (``_Cells``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from deepscreen.impact.cell_sums import numpy_of
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metric_schema import ALL
from deepscreen.impact.parallel import run_all


def _conform(items: pa.Table) -> pa.Table:
    missing = [name for name in ITEM_SCHEMA.names if name not in items.column_names]
    if missing:
        raise ValueError(f"the item table lacks columns {missing} (see ITEM_SCHEMA)")
    table = items.select(ITEM_SCHEMA.names).cast(ITEM_SCHEMA)
    if table.column("ingested_at").null_count:
        raise ValueError("every item needs ingested_at")
    return table


def _microseconds(column: pa.ChunkedArray) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """(µs since the epoch with nulls as 0, validity) of a timestamp column."""
    as_int = column.cast(pa.int64())
    if as_int.null_count == 0:  # no copy when in one chunk
        values = np.asarray(numpy_of(as_int), dtype=np.int64)
        return values, np.broadcast_to(np.True_, values.shape)
    valid = np.asarray(numpy_of(pc.is_valid(as_int)), dtype=bool)
    return np.asarray(numpy_of(pc.fill_null(as_int, 0)), dtype=np.int64), valid


def _numbers(column: pa.ChunkedArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    valid = pc.is_valid(column).to_numpy(zero_copy_only=False)
    filled = pc.fill_null(column.cast(pa.float64()), 0.0)
    return filled.to_numpy(zero_copy_only=False).astype(np.float64), valid


def _flags(column: pa.ChunkedArray) -> NDArray[np.bool_]:
    """A boolean column with nulls as False."""
    return np.asarray(pc.fill_null(column, False).to_numpy(zero_copy_only=False), dtype=bool)


def _codes(column: pa.ChunkedArray) -> tuple[NDArray[np.int32], NDArray[np.int32], list[str]]:
    """(per-row index into the column's dictionary, each dictionary entry's rank among the
    sorted distinct values, those sorted values) of a string column (null → "")."""
    if column.null_count:
        column = pc.fill_null(column, "")
    encoded = pc.dictionary_encode(column)  # one dictionary for every chunk
    chunks = encoded.chunks
    labels = [str(v) for v in chunks[0].dictionary.to_pylist()] if chunks else []
    order = sorted(range(len(labels)), key=labels.__getitem__)
    rank = np.empty(len(labels), dtype=np.int32)
    rank[order] = np.arange(len(labels), dtype=np.int32)
    parts = [chunk.indices.to_numpy(zero_copy_only=False) for chunk in chunks]
    indices = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return np.asarray(indices, dtype=np.int32), rank, [labels[i] for i in order]


# --------------------------------------------------------------------------- periods and cells

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000.0


def _period_units(days: NDArray[np.int64], period: str) -> NDArray[np.int64]:
    if period == "day":
        return days
    if period == "week":  # Monday-based weeks; day 0 (1970-01-01) is a Thursday
        return np.floor_divide(days + 3, 7)
    return days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _period_label(unit: int, period: str) -> str:
    if period == "day":
        return str(np.datetime64(unit, "D"))
    if period == "week":
        monday = date(1970, 1, 1) + timedelta(days=unit * 7 - 3)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"
    return str(np.datetime64(unit, "M"))


def _period_codes(
    table: pa.Table, period: str
) -> tuple[NDArray[np.int64], NDArray[np.int64], list[str]]:
    """(each item's period index, the periods' units, their labels), periods sorted by unit."""
    if period == "all":
        return np.zeros(table.num_rows, dtype=np.int64), np.zeros(1, dtype=np.int64), [ALL]
    ingested, _ = _microseconds(table.column("ingested_at"))
    relative = np.floor_divide(ingested, _DAY_US)
    first = int(relative.min())
    relative -= first
    present = np.flatnonzero(np.bincount(relative))
    units = _period_units(present + first, period)
    distinct_units, unit_index = np.unique(units, return_inverse=True)
    lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
    lookup[present] = unit_index.reshape(-1)
    labels = [_period_label(int(u), period) for u in distinct_units]
    return np.take(lookup, relative, out=relative, mode="clip"), distinct_units, labels


def _sorted_keys(raw: NDArray[np.int64], ranks: Sequence[NDArray[np.int32]]) -> NDArray[np.int64]:
    """Mixed-radix ids (period, then each column's dictionary index) with every dictionary
    index replaced by its rank among the column's sorted labels."""
    rest, digits = raw, []
    for rank in reversed(ranks):
        rest, index = np.divmod(rest, rank.shape[0])
        digits.append(rank[index])
    key = rest  # the period
    for rank, digit in zip(ranks, reversed(digits), strict=True):
        key = key * rank.shape[0] + digit
    return np.asarray(key, dtype=np.int64)


_DENSE_CELLS = 65_536  # above this many (period × policy × segment) combinations, only those
# present get an id (one extra sort of the items) so that per-cell arrays stay small


@dataclass(frozen=True)
class _Cells:
    """The finest groups (period, policy, segment): per cell id its dense key
    ``(period · policies + policy) · segments + segment`` into the sorted labels (periods sorted
    by their unit: day, Monday-based week or month since the epoch; 0 for ``all``)."""

    keys: NDArray[np.int64]
    period_units: NDArray[np.int64]
    period_labels: list[str]
    policy_labels: list[str] | None
    segment_labels: list[str] | None

    @property
    def count(self) -> int:
        return int(self.keys.shape[0])

    @classmethod
    def of_items(
        cls, table: pa.Table, period: str, *, by_policy: bool, by_segment: bool
    ) -> tuple[_Cells, NDArray[np.int64]]:
        """The cells present in ``table`` (a non-empty conformed item table), with the cell id
        of every item. Items are numbered by the columns' dictionary order (no per-item
        relabelling); each cell's key then maps it to the sorted labels."""
        names = ["policy_revision"] * by_policy + ["segment"] * by_segment
        tasks: list[Callable[[], Any]] = [partial(_period_codes, table, period)]
        tasks += [partial(_codes, table.column(name)) for name in names]
        (cell, distinct_units, period_labels), *codes = run_all(tasks, rows=table.num_rows)
        labels: dict[str, list[str]] = {}
        for name, (indices, _, labels[name]) in zip(names, codes, strict=True):
            cell *= len(labels[name])
            cell += indices
        policy_labels, segment_labels = labels.get("policy_revision"), labels.get("segment")
        dense = len(period_labels) * len(policy_labels or [ALL]) * len(segment_labels or [ALL])
        if dense <= _DENSE_CELLS:
            raw = np.arange(dense, dtype=np.int64)
        else:
            raw, inverse = np.unique(cell, return_inverse=True)
            cell = inverse.reshape(-1).astype(np.int64)
        keys = _sorted_keys(raw, [rank for _, rank, _ in codes])
        units = distinct_units.astype(np.int64)
        return cls(keys, units, period_labels, policy_labels, segment_labels), cell

    def components(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """(period, policy, segment) code of every cell id."""
        policies = len(self.policy_labels or [ALL])
        segments = len(self.segment_labels or [ALL])
        keys = self.keys
        return keys // (policies * segments), (keys // segments) % policies, keys % segments
