"""The impact metric table (``metric_table``): every number a PM reads, per period, policy
revision and segment, with intervals and n. Conventions: docs/metrics.md, 'How to read a
metric row'; how it is computed: docs/internals/impact.md."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pyarrow as pa

from deepscreen.core.metrics import ENFORCEMENT_ACTIONS
from deepscreen.impact.cell_sums import cell_sums
from deepscreen.impact.cells_duckdb import connection as duckdb_connection
from deepscreen.impact.metric_cells import _Cells, _conform
from deepscreen.impact.metric_columns import (
    _Context,
    _enforcement_metrics,
    _exposure_metrics,
    _prevalence_metrics,
    _quality_metrics,
    _volume_metrics,
)
from deepscreen.impact.metric_export import to_csv, to_json, to_parquet, to_records
from deepscreen.impact.metric_groups import _Column, _Groups
from deepscreen.impact.metric_items import _ItemArrays
from deepscreen.impact.metric_quantiles import (
    _QUANTILES,
    _quantile_samples,
    _QuantileSamples,
    _time_metrics,
)
from deepscreen.impact.metric_queue import _queue_metrics
from deepscreen.impact.metric_schema import (
    ALL,
    CONFIDENCE,
    METRICS,
    OVERTURNED,
    PER_10K,
    PERIODS,
    TABLE_SCHEMA,
    Period,
    is_proportion,
)

__all__ = [
    "ALL",
    "CONFIDENCE",
    "METRICS",
    "OVERTURNED",
    "PER_10K",
    "PERIODS",
    "TABLE_SCHEMA",
    "Period",
    "is_proportion",
    "metric_table",
    "to_csv",
    "to_json",
    "to_parquet",
    "to_records",
]


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
    queue = arrays.queue()
    return _assemble_table(context, samples, queue, review_minutes_per_item, review_sla_hours)


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
    connection = duckdb_connection()
    try:
        columns.update(_queue_metrics(connection, c, queue))
    finally:
        connection.close()
    if review_sla_hours is not None:
        columns["review_within_sla"] = _Column.share(agg["reviewed_in_sla"], agg["sent_to_review"])
    if review_minutes_per_item is not None:
        reviewed = agg["reviewed"]
        columns["reviewer_hours"] = _Column.count(
            reviewed * review_minutes_per_item / 60.0, reviewed
        )
    order = [name for name in METRICS if name in columns]
    return c.groups.assemble(order, columns)
