"""The metric table's additive aggregates per cell in numpy, one pass per column: the sums behind
every count, share and mean. Same names and definitions as the SQL reference (``cells_duckdb``):
counts exact, weighted (1/π) sums equal to float rounding (the summation order differs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from deepscreen.core.metrics import ANY_ACTION, ENFORCEMENT_ACTIONS, FLAGGED, VBA_BUCKETS

__all__ = ["cell_sums", "numpy_of"]

Sums = dict[str, NDArray[np.float64]]
_US_PER_HOUR = 3_600_000_000
_BAD_PI = "inclusion_probability of labelled items must be in (0, 1]"
_OVERTURNED = pa.array(["reversed", "partially_reversed"])
_ENFORCED_COLUMNS = [
    "notice_at",
    "enforced_at",
    "automated",
    "appeal_received_at",
    "appeal_decided_at",
    "appeal_outcome",
    "views_before_action",
    "enforced_action",
]
_LABELLED_COLUMNS = [
    "violating",
    "inclusion_probability",
    "views_total",
    "enforced",
    "action",
    "enforced_action",
]


def cell_sums(
    table: pa.Table,
    item_cell: NDArray[np.int64],
    n_cells: int,
    review_sla_hours: float | None = None,
) -> Sums:
    """``cells_duckdb.cell_sums_sql`` of a conformed item table given each item's cell id (in
    ``0..n_cells-1``); ValueError if a labelled item's inclusion_probability is not in (0, 1]."""
    sums = _all_items(table, item_cell, n_cells, review_sla_hours)
    sums.update(_enforced(table, item_cell, n_cells))
    sums.update(_labelled(table, item_cell, n_cells))
    return sums


def numpy_of(column: pa.ChunkedArray | pa.Array) -> NDArray[Any]:
    """A column without nulls as numpy, without a copy when it is one chunk of fixed width."""
    if isinstance(column, pa.Array):
        return np.asarray(column.to_numpy(zero_copy_only=False))
    chunks = column.chunks
    if len(chunks) == 1:
        return np.asarray(chunks[0].to_numpy(zero_copy_only=False))
    if not chunks:
        return np.asarray(column.to_numpy())
    return np.concatenate([chunk.to_numpy(zero_copy_only=False) for chunk in chunks])


def _valid(column: pa.ChunkedArray) -> NDArray[np.bool_]:
    if column.null_count == 0:
        return np.ones(len(column), dtype=bool)
    return np.asarray(numpy_of(pc.is_valid(column)), dtype=bool)


def _true(column: pa.ChunkedArray) -> NDArray[np.bool_]:
    """A boolean column (or a comparison's result) with nulls as False."""
    if column.null_count:
        column = pc.fill_null(column, False)
    return np.asarray(numpy_of(column), dtype=bool)


def _equal(column: pa.ChunkedArray, value: str) -> NDArray[np.bool_]:
    return _true(pc.equal(column, value))


def _ints(column: pa.ChunkedArray) -> NDArray[np.int64]:
    """An integer or timestamp column as int64 (µs for timestamps), nulls as 0."""
    column = column.cast(pa.int64())
    if column.null_count:
        column = pc.fill_null(column, 0)
    return np.asarray(numpy_of(column), dtype=np.int64)


def _count(cells: NDArray[np.int64], n_cells: int, mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    if not mask.any():
        return np.zeros(n_cells)
    return np.bincount(cells[np.flatnonzero(mask)], minlength=n_cells).astype(np.float64)


def _rows(table: pa.Table, columns: list[str], mask: NDArray[np.bool_]) -> pa.Table:
    """``columns`` of the rows where ``mask`` (no copy when every row is kept)."""
    table = table.select(columns)
    return table if bool(mask.all()) else table.filter(pa.array(mask))


def _all_items(
    table: pa.Table, cells: NDArray[np.int64], n_cells: int, review_sla_hours: float | None
) -> Sums:
    """Counts over all items: the masks stay Arrow bitmaps (null = false), only the cell ids of
    the items they select become numpy."""
    cell_ids = pa.array(cells)

    def count(selected: pa.ChunkedArray | pa.Array) -> NDArray[np.float64]:
        picked = numpy_of(pc.filter(cell_ids, selected))
        return np.bincount(picked, minlength=n_cells).astype(np.float64)

    sent = pc.equal(table.column("action"), "review")
    reviewed = pc.and_(
        pc.is_valid(table.column("reviewed_at")), pc.equal(table.column("label_source"), "review")
    )
    in_sla = np.zeros(n_cells)
    if review_sla_hours is not None:
        sla_micros = int(round(review_sla_hours * _US_PER_HOUR))
        rows = pc.indices_nonzero(pc.and_(sent, reviewed))
        times = table.select(["reviewed_at", "decided_at"]).take(rows)
        late = _ints(times.column("reviewed_at")) - _ints(times.column("decided_at"))
        within = _valid(times.column("decided_at")) & (late <= sla_micros)
        in_sla = np.bincount(cells[numpy_of(rows)[within]], minlength=n_cells).astype(np.float64)
    outcome = table.column("appeal_outcome")
    decided = overturned = np.zeros(n_cells)
    if outcome.null_count < len(outcome):
        rows = pc.indices_nonzero(pc.is_valid(outcome))
        values, at = outcome.take(rows), cells[numpy_of(rows)]
        decided = _count(at, n_cells, _true(pc.not_equal(values, "omitted")))
        overturned = _count(at, n_cells, _true(pc.is_in(values, value_set=_OVERTURNED)))
    return {
        "uploads": np.bincount(cells, minlength=n_cells).astype(np.float64),
        "sent_to_review": count(sent),
        "reviewed": count(reviewed),
        "reviewed_in_sla": in_sla,
        "appeals_decided": decided,
        "appeals_overturned": overturned,
    }


def _enforced(table: pa.Table, cells: NDArray[np.int64], n_cells: int) -> Sums:
    enforced = _true(table.column("enforced"))
    items = _rows(table, _ENFORCED_COLUMNS, enforced)
    cell = cells if items.num_rows == len(cells) else cells[enforced]
    notice, at = items.column("notice_at"), items.column("enforced_at")
    proactive = ~_valid(notice) | (_valid(at) & (_ints(at) < _ints(notice)))
    appealed = (
        _valid(items.column("appeal_received_at"))
        | _valid(items.column("appeal_decided_at"))
        | _valid(items.column("appeal_outcome"))
    )
    counted = _valid(items.column("views_before_action"))
    views = _ints(items.column("views_before_action"))
    views_sum = np.zeros(n_cells, dtype=np.int64)  # exact, as SQL's integer sum
    np.add.at(views_sum, cell[counted], views[counted])
    sums = {
        "enforced": _count(cell, n_cells, np.ones(cell.shape, dtype=bool)),
        "proactive": _count(cell, n_cells, proactive),
        "automated": _count(cell, n_cells, _true(items.column("automated"))),
        "appealed": _count(cell, n_cells, appealed),
        "vba_n": _count(cell, n_cells, counted),
        "vba_sum": views_sum.astype(np.float64),
    }
    for suffix, low, high in VBA_BUCKETS:
        in_bucket = counted & (views >= low)
        if high is not None:
            in_bucket &= views <= high
        sums[f"vba_{suffix}"] = _count(cell, n_cells, in_bucket)
    action = items.column("enforced_action")
    for name in ENFORCEMENT_ACTIONS:
        sums[f"actioned_{name}"] = _count(cell, n_cells, _equal(action, name))
    return sums


def _labelled(table: pa.Table, cells: NDArray[np.int64], n_cells: int) -> Sums:
    """Sums over labelled items from counts (and weighted sums) per (cell, pattern): pattern =
    violating + 2·flagged + 4·acted, acted 0 (not enforced), 1 (other action), 2 + action index."""
    if table.column("violating").null_count == 0:  # every item labelled (a simulation)
        items, cell = table.select(_LABELLED_COLUMNS), cells
    else:
        labelled = _valid(table.column("violating"))
        items, cell = _rows(table, _LABELLED_COLUMNS, labelled), cells[labelled]
    violating = _true(items.column("violating"))
    probability = items.column("inclusion_probability")
    weighted = probability.null_count < items.num_rows
    with_pi = _valid(probability) if weighted else np.zeros(items.num_rows, dtype=bool)
    pi = np.ones(items.num_rows if weighted else 0)
    if weighted:
        pi[with_pi] = np.asarray(numpy_of(pc.fill_null(probability, 1.0)))[with_pi]
        if (with_pi & ~((pi > 0) & (pi <= 1))).any():  # NaN is bad, as in SQL
            raise ValueError(_BAD_PI)
    flagged = _true(pc.not_equal(pc.fill_null(items.column("action"), "allow"), "allow"))
    acted = _true(items.column("enforced")).astype(np.int8)
    enforced = np.flatnonzero(acted)
    action = items.column("enforced_action").take(pa.array(enforced))
    for index, name in enumerate(ENFORCEMENT_ACTIONS):
        acted[enforced[_equal(action, name)]] = 2 + index
    patterns = 4 * (2 + len(ENFORCEMENT_ACTIONS))
    acted <<= 2
    acted |= violating
    acted |= flagged.view(np.int8) << 1
    key = cell * patterns
    key += acted

    def per_pattern(weight: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
        """Per (cell, pattern): how many items, or the sum of ``weight``."""
        summed = np.bincount(key, weights=weight, minlength=n_cells * patterns)
        return np.asarray(summed, dtype=np.float64).reshape(n_cells, patterns)

    counts = per_pattern()
    views = _ints(items.column("views_total")).astype(np.float64)
    if weighted:
        w = 1.0 / pi
        weights, squares, viewed = per_pattern(w), per_pattern(w * w), per_pattern(w * views)
    else:  # every weight is 1: the weighted sums are the counts (exactly)
        weights = squares = counts
        viewed = per_pattern(views)
    code = np.arange(patterns)
    is_violating = code % 2 == 1

    def total(per_pattern: NDArray[np.float64], where: NDArray[np.bool_]) -> NDArray[np.float64]:
        return np.asarray(per_pattern[:, where].sum(axis=1), dtype=np.float64)

    every = np.ones(patterns, dtype=bool)
    sums = {
        "labelled": total(counts, every),
        "violating": total(counts, is_violating),
        "with_pi": _count(cell, n_cells, with_pi),
        "bad_pi": np.zeros(n_cells),  # refused above
        "w_labelled": total(weights, every),
        "w_violating": total(weights, is_violating),
        "w_clean": total(weights, ~is_violating),
        "w2_labelled": total(squares, every),
        "wv_labelled": total(viewed, every),
        "wv_violating": total(viewed, is_violating),
    }
    acted_code = code // 4
    conditions = [(ANY_ACTION, acted_code > 0), (FLAGGED, (code // 2) % 2 == 1)] + [
        (name, acted_code == 2 + index) for index, name in enumerate(ENFORCEMENT_ACTIONS)
    ]
    for name, condition in conditions:
        sums[f"lab_{name}"] = total(counts, condition)
        sums[f"tp_{name}"] = total(counts, condition & is_violating)
        sums[f"w_lab_{name}"] = total(weights, condition)
        sums[f"w_tp_{name}"] = total(weights, condition & is_violating)
        sums[f"w_fp_{name}"] = total(weights, condition & ~is_violating)
    return sums
