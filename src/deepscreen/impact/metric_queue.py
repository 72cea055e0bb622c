"""The review-queue metrics: precision and harm in each group's top k of the queue (DuckDB)."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from deepscreen.core.metrics import QUEUE_KS
from deepscreen.impact.metric_columns import _Context
from deepscreen.impact.metric_groups import _Column
from deepscreen.impact.metric_items import _QUEUE_FIELDS

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
