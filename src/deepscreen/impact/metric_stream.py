"""The impact metric table built batch by batch (``MetricAccumulator``) without keeping the
items: cell sums, distinct time values with their counts, each cell's top of the review queue.
Notes: docs/internals/impact.md."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from deepscreen.core.metrics import QUEUE_KS
from deepscreen.impact.cell_sums import cell_sums
from deepscreen.impact.cells_duckdb import connection as duckdb_connection
from deepscreen.impact.metric_cells import _HOUR_US, _Cells, _conform, _period_label
from deepscreen.impact.metric_columns import _Context
from deepscreen.impact.metric_groups import _Groups
from deepscreen.impact.metric_items import _QUEUE_FIELDS, _ItemArrays
from deepscreen.impact.metric_quantiles import _QUANTILES, _PerGroup
from deepscreen.impact.metric_queue import _queue_rank
from deepscreen.impact.metric_schema import ALL, TABLE_SCHEMA, Period
from deepscreen.impact.metrics import _assemble_table, _check_options

__all__ = ["MetricAccumulator"]

_CellKey = tuple[int, str, str]  # (period unit, policy label, segment label); "" when not split

_QUEUE_SCHEMA = pa.schema(
    [
        ("item_id", pa.string()),
        ("score", pa.float64()),
        ("views_total", pa.int64()),
        ("violating", pa.bool_()),
        ("_cell", pa.int64()),
    ]
)


class MetricAccumulator:
    """``metric_table`` over all the items added, without keeping them.

    ``add`` takes one batch of ``ITEM_SCHEMA`` rows at a time (batches are disjoint sets of
    items; an empty batch is ignored; each batch is validated as ``metric_table`` validates a
    table, and one that fails validation leaves the accumulator unchanged). ``table()`` then
    equals ``metric_table(<all batches concatenated>, period=..., by_segment=...,
    by_policy=..., bootstrap=False, review_minutes_per_item=...)``: the same rows in the same
    order, counts exactly, other values to floating-point rounding of sums (~1e-12 relative),
    whatever the split into batches. Resampled bootstrap intervals need every item, so they
    stay null; with ``quantile_intervals=True`` the quantile metrics
    (``time_to_detect_median_hours``, ``time_to_action_median_hours``,
    ``time_to_action_p90_hours``) carry the exact order-statistic interval that
    ``metric_table(..., bootstrap=True)`` gives them (it depends on the values' ranks only, not
    on resampling).

    Held between batches, per (period, policy, segment) cell: the additive sums behind every
    count, share and mean; the distinct values of detection and action hours with their counts
    (``stored_values``: bounded by the distinct values, not by the items); and the top
    ``max(QUEUE_KS)`` review-queue items (``stored_candidates``), among which every group's
    top k lies.
    """

    def __init__(
        self,
        *,
        period: Period = "month",
        by_segment: bool = True,
        by_policy: bool = True,
        review_minutes_per_item: float | None = None,
        review_sla_hours: float | None = None,
        quantile_intervals: bool = False,
    ) -> None:
        _check_options(period, review_minutes_per_item, review_sla_hours)
        self._review_sla_hours = review_sla_hours
        self._period: str = period
        self._by_segment = by_segment
        self._by_policy = by_policy
        self._review_minutes_per_item = review_minutes_per_item
        self._quantile_intervals = quantile_intervals
        self._items = 0
        self._cell_of: dict[_CellKey, int] = {}
        self._sums: dict[str, NDArray[np.float64]] = {}
        self._tallies = {source: _Tally() for source in _QUANTILES}
        self._queue = _QUEUE_SCHEMA.empty_table()

    @property
    def items(self) -> int:
        """Rows added so far."""
        return self._items

    @property
    def stored_cells(self) -> int:
        """(period, policy, segment) cells with items: what every other store is per."""
        return len(self._cell_of)

    @property
    def stored_values(self) -> int:
        """(cell, distinct value) pairs held for the quantile metrics, all sources together."""
        return sum(tally.size for tally in self._tallies.values())

    @property
    def stored_candidates(self) -> int:
        """Review-queue items held: at most ``max(QUEUE_KS)`` per cell."""
        return int(self._queue.num_rows)

    def add(self, items: pa.Table) -> None:
        """Fold one batch of ``ITEM_SCHEMA`` rows in (ValueError as ``metric_table``)."""
        table = _conform(items)
        if table.num_rows == 0:
            return
        cells, item_cell = _Cells.of_items(
            table, self._period, by_policy=self._by_policy, by_segment=self._by_segment
        )
        sums = cell_sums(table, item_cell, cells.count, self._review_sla_hours)
        to_stored = self._add_sums(cells, sums)
        arrays = _ItemArrays(table, item_cell)
        for source, tally in self._tallies.items():
            cell, micros = arrays.quantile_micros(source)
            tally.add(to_stored[cell], micros)
        queue = arrays.queue()
        if queue.num_rows:
            batch_cell = np.asarray(queue.column("_cell").to_numpy(), dtype=np.int64)
            queue = queue.set_column(
                queue.schema.get_field_index("_cell"),
                "_cell",
                pa.array(to_stored[batch_cell], pa.int64()),
            )
            self._queue = _top_candidates(self._queue, queue)
        self._items += table.num_rows

    def table(self) -> pa.Table:
        """The metric table (``TABLE_SCHEMA``) of every item added so far."""
        if self._items == 0:
            return TABLE_SCHEMA.empty_table()
        groups = _Groups.build(self._cells(), self._sums["uploads"])
        context = _Context(
            groups,
            {name: groups.rollup(values) for name, values in self._sums.items()},
            None,
            0,
            0,
            quantile_intervals=self._quantile_intervals,
        )
        samples = {
            source: _PerGroup(
                [
                    (group, _TalliedValues(values, counts))
                    for group, (values, counts) in groups.split(*tally.arrays())
                ]
            )
            for source, tally in self._tallies.items()
        }
        return _assemble_table(
            context, samples, self._queue, self._review_minutes_per_item, self._review_sla_hours
        )

    def _add_sums(self, cells: _Cells, sums: dict[str, NDArray[np.float64]]) -> NDArray[np.int64]:
        """Add a batch's cell sums to the stored cells (new cells appended); returns the stored
        id of each batch cell (-1 for a cell without items)."""
        present = np.flatnonzero(sums["uploads"] > 0)
        period_of, policy_of, segment_of = cells.components()
        to_stored = np.full(cells.count, -1, dtype=np.int64)
        for cell in present.tolist():
            key = (
                int(cells.period_units[period_of[cell]]),
                "" if cells.policy_labels is None else cells.policy_labels[policy_of[cell]],
                "" if cells.segment_labels is None else cells.segment_labels[segment_of[cell]],
            )
            to_stored[cell] = self._cell_of.setdefault(key, len(self._cell_of))
        stored = len(self._cell_of)
        for name, values in sums.items():
            held = self._sums.get(name, np.zeros(0))
            if held.shape[0] < stored:
                held = np.concatenate((held, np.zeros(stored - held.shape[0])))
            held[to_stored[present]] += values[present]
            self._sums[name] = held
        return to_stored

    def _cells(self) -> _Cells:
        """The stored cells (ids in storage order) with their dense keys into sorted labels."""
        keys = list(self._cell_of)
        units = sorted({unit for unit, _, _ in keys})
        policies = sorted({policy for _, policy, _ in keys})
        segments = sorted({segment for _, _, segment in keys})
        unit_at = {unit: index for index, unit in enumerate(units)}
        policy_at = {policy: index for index, policy in enumerate(policies)}
        segment_at = {segment: index for index, segment in enumerate(segments)}
        dense = [
            (unit_at[u] * len(policies) + policy_at[p]) * len(segments) + segment_at[s]
            for u, p, s in keys
        ]
        return _Cells(
            np.array(dense, dtype=np.int64),
            np.array(units, dtype=np.int64),
            [ALL] if self._period == "all" else [_period_label(u, self._period) for u in units],
            policies if self._by_policy else None,
            segments if self._by_segment else None,
        )


class _Tally:
    """Per cell, its distinct values (ascending) with how many items have each."""

    def __init__(self) -> None:
        self._of_cell: dict[int, tuple[NDArray[np.float64], NDArray[np.int64]]] = {}

    @property
    def size(self) -> int:
        """(cell, distinct value) pairs held."""
        return sum(values.shape[0] for values, _ in self._of_cell.values())

    def add(self, cell: NDArray[np.int64], micros: NDArray[np.int64]) -> None:
        """Count one more item for each (cell, value) given, the value in µs (held in hours)."""
        if cell.shape[0] == 0:
            return
        pair_cell, distinct, counts = _distinct_pairs(cell, micros)
        values = distinct / _HOUR_US
        same = (values[1:] == values[:-1]) & (pair_cell[1:] == pair_cell[:-1])
        if same.any():  # distinct µs, equal hours (beyond 2**52 µs): count them as one value
            first = np.concatenate(([True], ~same))
            run = np.cumsum(first) - 1
            counts = np.bincount(run, weights=counts).astype(np.int64)
            pair_cell, values = pair_cell[first], values[first]
        bounds = [*np.flatnonzero(np.diff(pair_cell, prepend=-1)).tolist(), pair_cell.shape[0]]
        for start, end in zip(bounds, bounds[1:], strict=False):
            key = int(pair_cell[start])
            new = (values[start:end], counts[start:end].astype(np.int64))
            held = self._of_cell.get(key)
            self._of_cell[key] = new if held is None else _merge_counts(held, new)

    def arrays(self) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]:
        """(cell, value, count) of every pair held."""
        if not self._of_cell:
            return np.zeros(0, np.int64), np.zeros(0, np.float64), np.zeros(0, np.int64)
        cells = [np.full(v.shape[0], key, np.int64) for key, (v, _) in self._of_cell.items()]
        values = [v for v, _ in self._of_cell.values()]
        counts = [k for _, k in self._of_cell.values()]
        return np.concatenate(cells), np.concatenate(values), np.concatenate(counts)


def _distinct_pairs(
    cell: NDArray[np.int64], value: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """The distinct (cell, value) pairs, sorted, with how many times each occurs."""
    if int(cell.min()) == int(cell.max()):  # one cell: the values alone
        distinct, counts = np.unique(value, return_counts=True)
        return np.full(distinct.shape, cell[0]), distinct, counts
    low, high = int(value.min()), int(value.max())
    span = high - low + 1
    if (int(cell.max()) + 1) * span < 1 << 62:  # one int64 key per pair: a plain sort
        pairs, counts = np.unique(cell * span + (value - low), return_counts=True)
        pair_cell, offset = np.divmod(pairs, span)
        return pair_cell, offset + low, counts
    order = np.lexsort((value, cell))
    cell, value = cell[order], value[order]
    first = np.concatenate(([True], (cell[1:] != cell[:-1]) | (value[1:] != value[:-1])))
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, cell.shape[0]))
    return cell[starts], value[starts], counts


def _merge_counts(
    held: tuple[NDArray[np.float64], NDArray[np.int64]],
    new: tuple[NDArray[np.float64], NDArray[np.int64]],
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Two ascending distinct-value tallies as one (linear: no sort)."""
    values, counts = held
    new_values, new_counts = new
    at = np.searchsorted(values, new_values)
    found = at < values.shape[0]
    found[found] = values[at[found]] == new_values[found]
    counts = counts.copy()
    counts[at[found]] += new_counts[found]  # distinct new values: distinct positions
    missing = ~found
    return (
        np.insert(values, at[missing], new_values[missing]),
        np.insert(counts, at[missing], new_counts[missing]),
    )


class _TalliedValues:
    """Order statistics (``metrics._OrderStatistics``) of values given as (value, count) pairs,
    read with cumulative counts, without expanding them."""

    def __init__(self, values: NDArray[np.float64], counts: NDArray[np.int64]) -> None:
        order = np.argsort(values)
        self._values = values[order]
        self._ends = np.cumsum(counts[order])  # rank of each value's last item, + 1

    @property
    def n(self) -> int:
        return int(self._ends[-1])

    def at(self, ranks: list[int]) -> NDArray[np.float64]:
        return self._values[np.searchsorted(self._ends, ranks, side="right")]


def _top_candidates(held: pa.Table, batch: pa.Table) -> pa.Table:
    """Each cell's top ``max(QUEUE_KS)`` review-queue items of ``held`` and ``batch``."""
    rows = pa.concat_tables([held, batch.select(_QUEUE_SCHEMA.names).cast(_QUEUE_SCHEMA)])
    connection = duckdb_connection()
    connection.register("candidates", rows)
    try:
        query = (
            f"SELECT {', '.join([*_QUEUE_FIELDS, '_cell'])} FROM candidates "
            f"QUALIFY {_queue_rank('_cell')} <= {max(QUEUE_KS)}"
        )
        result = connection.sql(query).to_arrow_table()
    finally:
        connection.close()
    return result.cast(_QUEUE_SCHEMA)
