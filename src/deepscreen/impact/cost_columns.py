"""The item-table columns the cost figures read, as NumPy arrays and Arrow string columns
(no Python object per row)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.impact.cell_sums import numpy_of


@dataclass(frozen=True)
class _Strings:
    """A string column compared and read in Arrow: no Python object per row — a simulated
    month is tens of millions of rows — and Python strings only for the rows asked for."""

    column: pa.ChunkedArray

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Strings:
        return cls(column)

    def equals(self, value: str) -> np.ndarray:
        return _numpy(pc.fill_null(pc.equal(self.column, value), False), bool)

    @property
    def present(self) -> np.ndarray:
        return _numpy(pc.is_valid(self.column), bool)

    def strings(self, mask: np.ndarray, null: str = "") -> np.ndarray:
        """The values where ``mask`` as a str array (``null`` for missing values)."""
        return np.asarray(self._picked(mask, null).to_pylist(), dtype=str)

    def tally(self, mask: np.ndarray, null: str = "") -> dict[str, int]:
        """How many rows where ``mask`` have each value (``null`` for missing values)."""
        counted = pc.value_counts(self._picked(mask, null))
        values, counts = counted.field("values").to_pylist(), counted.field("counts").to_pylist()
        return dict(zip(values, counts, strict=True))

    def _picked(self, mask: np.ndarray, null: str) -> pa.ChunkedArray:
        return pc.fill_null(self.column.filter(pa.array(mask, pa.bool_())), null)


def _numpy(column: pa.ChunkedArray, dtype: type) -> np.ndarray:
    return np.asarray(numpy_of(column), dtype=dtype).reshape(-1)


@dataclass(frozen=True)
class _Columns:
    """The item-table columns the figures read, as numpy arrays (nulls made explicit)."""

    action: _Strings
    violating_mask: np.ndarray  # bool: labelled violating
    clean_mask: np.ndarray  # bool: labelled non-violating
    enforced: np.ndarray  # bool
    enforced_action: _Strings
    label_source: _Strings
    segment: _Strings
    views_total: np.ndarray  # int64
    views_before: np.ndarray  # int64, 0 where null

    @classmethod
    def of(cls, items: pa.Table) -> _Columns:
        """Column conversions in Arrow/NumPy (no Python loop over rows)."""

        def filled(name: str, value: object, dtype: type) -> np.ndarray:
            return _numpy(pc.fill_null(items.column(name), value), dtype)

        violating = items.column("violating")
        labelled = _numpy(pc.is_valid(violating), bool)
        truth = _numpy(pc.fill_null(violating, False), bool)
        return cls(
            action=_Strings.of(items.column("action")),
            violating_mask=labelled & truth,
            clean_mask=labelled & ~truth,
            enforced=filled("enforced", False, bool),
            enforced_action=_Strings.of(items.column("enforced_action")),
            label_source=_Strings.of(items.column("label_source")),
            segment=_Strings.of(items.column("segment")),
            views_total=filled("views_total", 0, np.int64),
            views_before=filled("views_before_action", 0, np.int64),
        )
