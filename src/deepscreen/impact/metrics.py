"""The impact metric table (``metric_table``): every number a PM reads, per period, policy
revision and segment, with intervals and n; CSV, JSON and Parquet writers. Conventions:
docs/metrics.md, 'How to read a metric row'; how it is computed: docs/internals/impact.md."""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any, Literal, Protocol

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from deepscreen.core import metrics as definitions
from deepscreen.core.metrics import (
    ANY_ACTION,
    ENFORCEMENT_ACTIONS,
    FLAGGED,
    QUEUE_KS,
    VBA_BUCKETS,
)
from deepscreen.impact.cell_sums import cell_sums, numpy_of
from deepscreen.impact.cells_duckdb import connection as duckdb_connection
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.order_stats import Blocks, GroupOrderStatistics, blocks_of
from deepscreen.impact.parallel import run_all
from deepscreen.stats import (
    bootstrap_mean,
    bootstrap_ratio,
    interpolate_order_statistics,
    proportion_bounds,
    quantile_interval_ranks,
    quantile_ranks,
)

Period = Literal["day", "week", "month", "all"]
PERIODS: tuple[str, ...] = ("day", "week", "month", "all")
ALL = "all"
PER_10K = 10_000.0
CONFIDENCE = 0.95
OVERTURNED = ("reversed", "partially_reversed")

TABLE_SCHEMA = pa.schema(
    [
        ("period", pa.string()),
        ("policy_revision", pa.string()),
        ("segment", pa.string()),
        ("metric", pa.string()),
        ("value", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("n", pa.int64()),
        ("definition", pa.string()),
    ]
)
"""The columns of ``metric_table``'s result."""

METRICS: Mapping[str, str] = MappingProxyType(
    {m.name: m.definition for m in definitions.table_metrics()}
)
"""Metric name → definition, in the table's metric order (this text fills ``definition``);
the labels, units and parts of each are in ``core.metrics``.

``precision_/recall_/false_positive_rate_<action>`` rows appear for ``any_action`` (enforced),
``flagged`` (any decision but allow) and each enforcement action present in the item table;
``review_within_sla`` only with ``review_sla_hours``; ``reviewer_hours`` only with
``review_minutes_per_item``.
"""


def is_proportion(name: str) -> bool:
    """Whether metric ``name`` is a share of items (in [0, 1])."""
    return definitions.is_share(name)


# --------------------------------------------------------------------------- public API


def metric_table(
    items: pa.Table,
    *,
    period: Period = "month",
    by_segment: bool = True,
    by_policy: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
    bootstrap: bool = True,
    review_minutes_per_item: float | None = None,
    review_sla_hours: float | None = None,
) -> pa.Table:
    """The metric table (``TABLE_SCHEMA``) of an item table (``ITEM_SCHEMA``).

    Rows are ordered by period, policy_revision (the ``all`` rollup first), segment (``all``
    first) and the metric order of ``METRICS``. Conventions: docs/internals/impact.md.
    ``metric_stream.MetricAccumulator`` builds the same table (``bootstrap=False``) batch by
    batch.
    """
    _check_options(period, review_minutes_per_item, review_sla_hours)
    if bootstrap and n_boot < 1:
        raise ValueError(f"n_boot must be >= 1, got {n_boot!r}")
    table = _conform(items)
    if table.num_rows == 0:
        return TABLE_SCHEMA.empty_table()
    cells, item_cell = _Cells.of_items(table, period, by_policy=by_policy, by_segment=by_segment)
    sums = cell_sums(table, item_cell, cells.count, review_sla_hours)
    groups = _Groups.build(cells, sums["uploads"])
    arrays = _ItemArrays(table, item_cell)
    context = _Context(
        groups,
        {name: groups.rollup(values) for name, values in sums.items()},
        arrays if bootstrap else None,
        n_boot if bootstrap else 0,
        seed,
        quantile_intervals=bootstrap,
    )
    samples = {source: _quantile_samples(groups, arrays, source) for source in _QUANTILES}
    connection = duckdb_connection()
    try:
        return _assemble_table(
            connection,
            context,
            samples,
            arrays.queue(),
            review_minutes_per_item,
            review_sla_hours,
        )
    finally:
        connection.close()


def _check_options(
    period: str, review_minutes_per_item: float | None, review_sla_hours: float | None = None
) -> None:
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    if review_minutes_per_item is not None and not (
        math.isfinite(review_minutes_per_item) and review_minutes_per_item >= 0
    ):
        raise ValueError(f"review_minutes_per_item must be >= 0, got {review_minutes_per_item!r}")
    if review_sla_hours is not None and not (
        math.isfinite(review_sla_hours) and review_sla_hours > 0
    ):
        raise ValueError(f"review_sla_hours must be > 0, got {review_sla_hours!r}")


def _assemble_table(
    connection: duckdb.DuckDBPyConnection,
    c: _Context,
    samples: Mapping[str, _QuantileSamples],
    queue: pa.Table,
    review_minutes_per_item: float | None,
    review_sla_hours: float | None = None,
) -> pa.Table:
    """Every metric column of every group, as the result table. ``samples``: per quantile source
    (``"detection"``, ``"action"``, see ``_QUANTILES``) the groups' values; ``queue``: review
    queue candidates (``_queue_metrics``). The whole-table and the streaming path both end here."""
    agg = c.agg
    present = [a for a in ENFORCEMENT_ACTIONS if agg[f"actioned_{a}"].sum() > 0]
    columns: dict[str, _Column] = {}
    columns.update(_volume_metrics(c))
    columns.update(_prevalence_metrics(c))
    columns.update(_enforcement_metrics(c))
    columns.update(_time_metrics(c, samples))
    columns.update(_exposure_metrics(c))
    columns.update(_quality_metrics(c, present))
    columns.update(_queue_metrics(connection, c, queue))
    if review_sla_hours is not None:
        columns["review_within_sla"] = _Column.share(agg["reviewed_in_sla"], agg["sent_to_review"])
    if review_minutes_per_item is not None:
        reviewed = agg["reviewed"]
        columns["reviewer_hours"] = _Column.count(
            reviewed * review_minutes_per_item / 60.0, reviewed
        )
    order = [name for name in METRICS if name in columns]
    return c.groups.assemble(order, columns)


def to_csv(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as CSV (header row; nulls as empty fields; UTF-8)."""
    pacsv.write_csv(table, os.fspath(path))


def to_records(table: pa.Table) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts: NaN and ±inf become None, timestamps ISO 8601 strings."""
    return [{key: _json_value(value) for key, value in row.items()} for row in table.to_pylist()]


def to_json(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as a strict-JSON array of records (NaN and ±inf written as null)."""
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(to_records(table), handle, ensure_ascii=False, allow_nan=False)
        handle.write("\n")


def to_parquet(table: pa.Table, path: str | os.PathLike[str]) -> None:
    """Write ``table`` as Parquet."""
    pq.write_table(table, os.fspath(path))


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------- input


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


# --------------------------------------------------------------------------- groups


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


class _ItemArrays:
    """Per-item numpy columns for quantiles and bootstraps, built on demand for the items that
    need them (same rules as the SQL); every method returns the items' cell ids first."""

    def __init__(self, table: pa.Table, item_cell: NDArray[np.int64]) -> None:
        self._table = table.append_column("_cell", pa.array(item_cell, pa.int64()))
        self._item_cell = item_cell

    def _subset(self, mask: pa.ChunkedArray | pa.Array | None, columns: list[str]) -> pa.Table:
        table = self._table.select([*columns, "_cell"])
        return table if mask is None else table.filter(mask)

    @staticmethod
    def _cells(table: pa.Table) -> NDArray[np.int64]:
        return np.asarray(numpy_of(table.column("_cell")), dtype=np.int64)

    def queue(self) -> pa.Table:
        """Items routed to review (action = 'review'): ``_QUEUE_FIELDS`` and ``_cell``."""
        return self._subset(pc.equal(self._table.column("action"), "review"), _QUEUE_FIELDS)

    def quantile_blocks(self, source: str) -> tuple[NDArray[np.int64], Blocks]:
        """``quantile_micros`` with the values computed a block at a time when every item has
        one (detection hours without nulls: no item-sized array of differences)."""
        detected = self._table.column("detected_at")
        if source == "detection" and detected.null_count == 0:
            ingested, _ = _microseconds(self._table.column("ingested_at"))
            detected_us, _ = _microseconds(detected)
            return self._item_cell, lambda start, end: detected_us[start:end] - ingested[start:end]
        cells, micros = self.quantile_micros(source)
        return cells, blocks_of(micros)

    def quantile_micros(self, source: str) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The values of a ``_QUANTILES`` source, ``detection`` or ``action``, in µs (hours are
        µs / ``_HOUR_US``, a non-decreasing map: the order statistics of hours are those of µs)."""
        return {"detection": self.detection_micros, "action": self.action_micros}[source]()

    def detection_micros(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Items with a detection: detected_at − ingested_at."""
        detected = self._table.column("detected_at")
        mask = pc.is_valid(detected) if detected.null_count else None
        table = self._subset(mask, ["ingested_at", "detected_at"])
        ingested, _ = _microseconds(table.column("ingested_at"))
        detected_us, _ = _microseconds(table.column("detected_at"))
        return self._cells(table), detected_us - ingested

    def action_micros(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Enforced items with enforced_at: from the notice (received at or before the action)
        or else from max(ingested_at, detected_at) to enforced_at."""
        mask = pc.and_(
            pc.fill_null(self._table.column("enforced"), False),
            pc.is_valid(self._table.column("enforced_at")),
        )
        columns = ["ingested_at", "detected_at", "notice_at", "enforced_at"]
        table = self._subset(mask, columns)
        ingested, _ = _microseconds(table.column("ingested_at"))
        detected, detected_valid = _microseconds(table.column("detected_at"))
        notice, notice_valid = _microseconds(table.column("notice_at"))
        enforced_at, _ = _microseconds(table.column("enforced_at"))
        start = np.where(detected_valid, np.maximum(ingested, detected), ingested)
        start = np.where(notice_valid & (notice <= enforced_at), notice, start)
        return self._cells(table), enforced_at - start

    def views_before_action(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Enforced items with a view count: views_before_action."""
        mask = pc.and_(
            pc.fill_null(self._table.column("enforced"), False),
            pc.is_valid(self._table.column("views_before_action")),
        )
        table = self._subset(mask, ["views_before_action"])
        views, _ = _numbers(table.column("views_before_action"))
        return self._cells(table), views

    def labelled(
        self,
    ) -> tuple[
        NDArray[np.int64],
        NDArray[np.float64],
        NDArray[np.float64],
        NDArray[np.bool_],
        NDArray[np.int64],
        NDArray[np.bool_],
        NDArray[np.bool_],
    ]:
        """Labelled items: (cells, weight 1/π or 1, views_total, violating, enforced action
        index into ENFORCEMENT_ACTIONS or -1, enforced, flagged: automated decision other than
        allow)."""
        columns = ["violating", "inclusion_probability", "views_total", "enforced"]
        table = self._subset(
            pc.is_valid(self._table.column("violating")), [*columns, "enforced_action", "action"]
        )
        probability, has_probability = _numbers(table.column("inclusion_probability"))
        weight = np.ones(table.num_rows)
        weight[has_probability] = 1.0 / probability[has_probability]
        views, _ = _numbers(table.column("views_total"))
        codes = np.full(table.num_rows, -1, dtype=np.int64)
        for index, action in enumerate(ENFORCEMENT_ACTIONS):
            codes[_flags(pc.equal(table.column("enforced_action"), action))] = index
        flagged = _flags(pc.not_equal(pc.fill_null(table.column("action"), "allow"), "allow"))
        return (
            self._cells(table),
            weight,
            views,
            _flags(table.column("violating")),
            codes,
            _flags(table.column("enforced")),
            flagged,
        )


@dataclass(frozen=True)
class _Context:
    groups: _Groups
    agg: Mapping[str, NDArray[np.float64]]
    items: _ItemArrays | None  # per-item arrays to resample; None: no bootstrap intervals
    n_boot: int
    seed: int
    quantile_intervals: bool  # the exact order-statistic intervals of the quantiles

    def seed_for(self, metric: str, group: int) -> list[int]:
        """Entropy of one (metric, group) bootstrap: independent of row order and group count."""
        label = f"{metric}\x1e{self.groups.label(group)}".encode()
        return [self.seed, zlib.crc32(label)]


def _safe_divide(
    numerator: NDArray[np.float64], denominator: NDArray[np.float64]
) -> NDArray[np.float64]:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _volume_metrics(c: _Context) -> dict[str, _Column]:
    uploads = c.agg["uploads"]
    return {"uploads": _Column.count(uploads, uploads)}


def _prevalence_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    labelled, weighted = a["labelled"], a["with_pi"] > 0
    share = _safe_divide(a["w_violating"], a["w_labelled"])
    ess = _safe_divide(a["w_labelled"] ** 2, a["w2_labelled"])
    plain = _Column.share(a["violating"], labelled, PER_10K)
    hajek = _Column.share(
        np.nan_to_num(share * ess), np.nan_to_num(ess), PER_10K
    )  # Wilson on the Kish effective sample size
    items_rate = _Column(
        np.where(weighted, np.clip(share, 0.0, 1.0) * PER_10K, plain.value),
        np.where(weighted, hajek.low, plain.low),
        np.where(weighted, hajek.high, plain.high),
        np.rint(labelled).astype(np.int64),
    )
    view_value = np.clip(_safe_divide(a["wv_violating"], a["wv_labelled"]), 0.0, 1.0) * PER_10K
    views = _Column(
        view_value,
        np.full(c.groups.count, np.nan),
        np.full(c.groups.count, np.nan),
        np.rint(labelled).astype(np.int64),
    )
    if c.items is not None:
        cells, w_all, v_all, y_all, _, _, _ = c.items.labelled()
        for group, (w, v, y) in c.groups.split(cells, w_all, v_all, y_all):
            if not np.isfinite(view_value[group]):
                continue
            low, high = _share_interval(w * v * y, w * v, c, "view_prevalence_per_10k", group)
            views.low[group], views.high[group] = low * PER_10K, high * PER_10K
    return {"violating_per_10k_uploads": items_rate, "view_prevalence_per_10k": views}


def _share_interval(
    numerator: NDArray[np.float64],
    denominator: NDArray[np.float64],
    c: _Context,
    metric: str,
    group: int,
) -> tuple[float, float]:
    """Bootstrap interval of Σ numerator / Σ denominator (0 ≤ numerator ≤ denominator); at an
    estimate of exactly 0 or 1 (a degenerate bootstrap) Wilson/rule of three on the Kish ESS."""
    total = float(denominator.sum())
    if total <= 0:
        return math.nan, math.nan
    estimate = float(numerator.sum()) / total
    if estimate <= 0.0 or estimate >= 1.0:
        ess = total**2 / float((denominator**2).sum())
        _, low, high = proportion_bounds(min(max(estimate, 0.0), 1.0) * ess, ess)
        return float(low), float(high)
    interval = bootstrap_ratio(
        numerator,
        denominator,
        n_boot=c.n_boot,
        seed=c.seed_for(metric, group),
        confidence=CONFIDENCE,
    )
    return (
        math.nan if interval.low is None else interval.low,
        math.nan if interval.high is None else interval.high,
    )


def _enforcement_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    uploads, enforced = a["uploads"], a["enforced"]
    columns = {"actioned_total": _Column.count(enforced, uploads)}
    for action in ENFORCEMENT_ACTIONS:
        columns[f"actioned_{action}"] = _Column.count(a[f"actioned_{action}"], uploads)
    columns["sent_to_review"] = _Column.count(a["sent_to_review"], uploads)
    columns["proactive_rate"] = _Column.share(a["proactive"], enforced)
    columns["automated_share"] = _Column.share(a["automated"], enforced)
    columns["appeal_rate"] = _Column.share(a["appealed"], enforced)
    columns["overturn_rate"] = _Column.share(a["appeals_overturned"], a["appeals_decided"])
    return columns


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


def _exposure_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    counted = a["vba_n"]
    mean = _Column(
        _safe_divide(a["vba_sum"], counted),
        np.full(c.groups.count, np.nan),
        np.full(c.groups.count, np.nan),
        np.rint(counted).astype(np.int64),
    )
    if c.items is not None:
        for group, (views,) in c.groups.split(*c.items.views_before_action()):
            interval = bootstrap_mean(
                views,
                n_boot=c.n_boot,
                seed=c.seed_for("views_before_action_mean", group),
                confidence=CONFIDENCE,
            )
            if interval.low is not None and interval.high is not None:
                mean.low[group], mean.high[group] = interval.low, interval.high
    columns = {"views_before_action_mean": mean}
    for suffix, _, _ in VBA_BUCKETS:
        columns[f"views_before_action_{suffix}"] = _Column.share(a[f"vba_{suffix}"], counted)
    return columns


def _quality_metrics(c: _Context, present: Sequence[str]) -> dict[str, _Column]:
    a = c.agg
    weighted = a["with_pi"] > 0
    violating, labelled = a["violating"], a["labelled"]
    w_violating, w_clean = a["w_violating"], a["w_clean"]
    columns: dict[str, _Column] = {}
    actions = [ANY_ACTION, FLAGGED, *present]
    for action in actions:
        lab, tp = a[f"lab_{action}"], a[f"tp_{action}"]
        w_lab, w_tp = a[f"w_lab_{action}"], a[f"w_tp_{action}"]
        specs = {
            f"precision_{action}": (tp, lab, w_tp, w_lab),
            f"recall_{action}": (tp, violating, w_tp, w_violating),
            f"false_positive_rate_{action}": (
                lab - tp,
                labelled - violating,
                a[f"w_fp_{action}"],
                w_clean,
            ),
        }
        for name, (k, n, w_k, w_n) in specs.items():
            plain = _Column.share(k, n)
            nothing = np.full(c.groups.count, np.nan)
            columns[name] = _Column(
                np.where(weighted, np.clip(_safe_divide(w_k, w_n), 0.0, 1.0), plain.value),
                np.where(weighted, nothing, plain.low),
                np.where(weighted, nothing, plain.high),
                np.rint(n).astype(np.int64),
            )
    if c.items is not None and weighted.any():
        cells, w_all, _, y_all, code_all, enforced_all, flagged_all = c.items.labelled()
        for group, (w, y, code, enforced, flagged) in c.groups.split(
            cells, w_all, y_all, code_all, enforced_all, flagged_all
        ):
            if not weighted[group]:
                continue
            violating_w = w * y
            clean_w = w * ~y
            for action in actions:
                if action == ANY_ACTION:
                    acted = enforced
                elif action == FLAGGED:
                    acted = flagged
                else:
                    acted = enforced & (code == ENFORCEMENT_ACTIONS.index(action))
                parts = {
                    f"precision_{action}": (violating_w * acted, w * acted),
                    f"recall_{action}": (violating_w * acted, violating_w),
                    f"false_positive_rate_{action}": (clean_w * acted, clean_w),
                }
                for name, (numerator, denominator) in parts.items():
                    low, high = _share_interval(numerator, denominator, c, name, group)
                    columns[name].low[group], columns[name].high[group] = low, high
    # Recall counts the violations the policy missed, which only labelled items it did NOT act
    # on can show: without any (labels from the review queue alone), it is not estimable.
    for action in actions:
        basis = FLAGGED if action == FLAGGED else ANY_ACTION
        no_unactioned = (labelled - a[f"lab_{basis}"]) <= 0
        recall = columns[f"recall_{action}"]
        for values in (recall.value, recall.low, recall.high):
            values[no_unactioned] = np.nan
        recall.n[no_unactioned] = 0
    return columns


_QUEUE_FIELDS = ["item_id", "score", "views_total", "violating"]
_QUEUE_ORDER = "score DESC NULLS LAST, views_total DESC NULLS LAST, item_id"
"""The review queue's ranking (``queue_precision_at_k``); ``_QUEUE_FIELDS`` are what it needs."""


def _queue_rank(partition: str) -> str:
    """SQL: an item's 1-based rank in the review queue of its ``partition``."""
    return f"row_number() OVER (PARTITION BY {partition} ORDER BY {_QUEUE_ORDER})"


def _queue_metrics(
    connection: duckdb.DuckDBPyConnection, c: _Context, queue: pa.Table
) -> dict[str, _Column]:
    """Queue precision and harm at k. ``queue``: ``_QUEUE_FIELDS`` and ``_cell`` of review-queue
    items: all of them, or at least each cell's top ``max(QUEUE_KS)`` (a group's top k is among
    its cells' top k)."""
    groups = c.groups
    count = groups.count
    columns: dict[str, _Column] = {}
    results: dict[str, NDArray[np.float64]] = {}
    names = [f"{kind}_{k}" for k in QUEUE_KS for kind in ("available", "labelled", "tp", "harm")]
    for name in names:
        results[name] = np.zeros(count)
    if queue.num_rows:
        member = groups.item_groups(np.asarray(queue.column("_cell").to_numpy(), dtype=np.int64))
        queue = queue.select(_QUEUE_FIELDS)
        for position, of_item in enumerate(member):
            queue = queue.append_column(f"_g{position}", pa.array(of_item, pa.int64()))
        union = " UNION ALL ".join(
            f"SELECT _g{position} AS g, {', '.join(_QUEUE_FIELDS)} FROM queue"
            for position in range(len(member))
        )
        largest = max(QUEUE_KS)
        aggregates = ", ".join(
            f"count(*) FILTER (rank <= {k}) AS available_{k}, "
            f"count(violating) FILTER (rank <= {k}) AS labelled_{k}, "
            f"count(*) FILTER (rank <= {k} AND violating) AS tp_{k}, "
            f"coalesce(sum(views_total) FILTER (rank <= {k} AND violating), 0) AS harm_{k}"
            for k in QUEUE_KS
        )
        query = f"""
            WITH ranked AS (
                SELECT g, views_total, violating, {_queue_rank("g")} AS rank
                FROM ({union})
                QUALIFY rank <= {largest}
            )
            SELECT g, {aggregates} FROM ranked GROUP BY g
        """
        connection.register("queue", queue)
        try:
            result = connection.sql(query).to_arrow_table()
        finally:
            connection.unregister("queue")
        index = result.column("g").to_numpy().astype(np.int64)
        keep = index < count
        for name in names:
            values = pc.fill_null(result.column(name).cast(pa.float64()), 0.0)
            results[name][index[keep]] = values.to_numpy(zero_copy_only=False)[keep]
    for k in QUEUE_KS:
        available = results[f"available_{k}"]
        columns[f"queue_precision_at_{k}"] = _Column.share(
            results[f"tp_{k}"], results[f"labelled_{k}"]
        )
        harm = np.where(available > 0, results[f"harm_{k}"], np.nan)
        columns[f"queue_harm_at_{k}"] = _Column.count(harm, available)
    return columns
