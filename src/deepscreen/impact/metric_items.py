"""Per-item NumPy columns of the metric table's items (``_ItemArrays``), for quantiles,
bootstraps and the review queue, built on demand for the items that need them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from deepscreen.core.metrics import ENFORCEMENT_ACTIONS
from deepscreen.impact.cell_sums import numpy_of
from deepscreen.impact.metric_cells import _flags, _microseconds, _numbers
from deepscreen.impact.order_stats import Blocks, blocks_of

_QUEUE_FIELDS = ["item_id", "score", "views_total", "violating"]


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
