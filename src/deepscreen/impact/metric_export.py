"""Writing a metric table (or any Arrow table of plain values): CSV, strict JSON, Parquet."""

from __future__ import annotations

import json
import math
import os
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


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
