"""Reading an import file: CSV or Parquet rows by line or row number, the header and column
types checked, with typed refusals (``ImportFileInvalid``)."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from deepscreen.core.errors import ImportFileInvalid
from deepscreen.service.impact_import_rows import COLUMNS, ImportKind, Row


@dataclass(frozen=True)
class DataFile:
    """A file's columns and its data rows, each with its CSV line or Parquet row number."""

    columns: tuple[str, ...]
    rows: list[tuple[int, Row]]
    where: str  # "line" (CSV) or "row" (Parquet)


def read_data_file(path: Path, kind: ImportKind) -> DataFile:
    """The file's data rows; ``ImportFileInvalid`` for an unknown suffix, an unreadable or
    empty file, or a header with a duplicated or missing column."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        data = read_csv(path)
    elif suffix in (".parquet", ".pq"):
        data = read_parquet(path, kind)
    else:
        raise ImportFileInvalid(str(path), ["expected a .csv or .parquet file"])
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in data.columns]
    if missing:
        extra = f" (optional: {', '.join(optional)})" if optional else ""
        raise ImportFileInvalid(
            str(path),
            [
                f"{kind.value} files need columns {', '.join(required)}{extra}; "
                f"missing {', '.join(missing)}"
            ],
        )
    if not data.rows:
        raise ImportFileInvalid(str(path), ["no data rows (only a header)"])
    return data


def read_csv(path: Path) -> DataFile:
    """Rows of a UTF-8 CSV file (a BOM is skipped) by the line they start on; blank lines are
    skipped. A field over Python's CSV limit (131,072 characters) or an unclosed quote stops
    the reading with the line named."""
    source = str(path)
    rows: list[tuple[int, Row]] = []
    header: tuple[str, ...] | None = None
    header_width = 0
    line = 1  # where the record being read starts
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.reader(file, strict=True)
            for record in reader:
                start, line = line, reader.line_num + 1
                if not record:
                    continue
                if header is None:
                    check_no_nul(record, f"line {start}", source)
                    header = check_header([name.strip() for name in record], f"line {start}")
                    header_width = len(record)
                    continue
                if len(record) != header_width:
                    raise ImportFileInvalid(
                        source,
                        [f"line {start}: {len(record)} fields, the header has {header_width}"],
                    )
                check_no_nul(record, f"line {start}", source)
                rows.append((start, dict(zip(header, record, strict=True))))
    except csv.Error as exc:
        raise ImportFileInvalid(source, [f"line {line}: unreadable CSV ({exc})"]) from exc
    except UnicodeDecodeError as exc:
        raise ImportFileInvalid(source, [f"not UTF-8 text ({exc.reason})"]) from exc
    except OSError as exc:
        raise ImportFileInvalid(source, [f"cannot read: {exc.strerror or exc}"]) from exc
    except ValueError as exc:  # check_header
        raise ImportFileInvalid(source, [str(exc)]) from exc
    if header is None:
        raise ImportFileInvalid(source, ["empty file: no header line"])
    return DataFile(header, rows, "line")


def read_parquet(path: Path, kind: ImportKind) -> DataFile:
    """Rows of a Parquet file by 1-based row number. Only the columns of ``kind`` are read,
    and each must hold plain values (text, whole or decimal numbers, booleans, times):
    a list, struct, map or binary column is refused before any value is read."""
    source = str(path)
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise ImportFileInvalid(source, [f"cannot read as Parquet: {_short(exc)}"]) from exc
    try:
        columns = check_header(list(schema.names), "the schema")
    except ValueError as exc:
        raise ImportFileInvalid(source, [str(exc)]) from exc
    required, optional = COLUMNS[kind]
    wanted = [c for c in (*required, *optional) if c in columns]
    bad = [
        f"column {c!r} holds {schema.field(c).type} values: expected plain values "
        "(text, numbers, booleans or times)"
        for c in wanted
        if not plain_type(schema.field(c).type)
    ]
    if bad:
        raise ImportFileInvalid(source, bad)
    try:
        table = parquet.read(columns=wanted)
        values = {name: table.column(name).to_pylist() for name in wanted}
    except (pa.ArrowException, OSError, ValueError, OverflowError) as exc:
        raise ImportFileInvalid(source, [f"cannot read as Parquet: {_short(exc)}"]) from exc
    rows: list[tuple[int, Row]] = [
        (n, {name: values[name][n - 1] for name in wanted}) for n in range(1, table.num_rows + 1)
    ]
    return DataFile(columns, rows, "row")


def check_header(names: Sequence[str], where: str) -> tuple[str, ...]:
    """The column names, or ``ValueError`` for a duplicated one (which of two ``views``
    columns would count is anybody's guess). Unnamed columns — a trailing comma — are never
    read, so they may repeat."""
    twice = [name for name, n in Counter(names).items() if n > 1 and name]
    if twice:
        raise ValueError(f"{where}: column(s) {', '.join(map(repr, twice))} appear more than once")
    return tuple(names)


def check_no_nul(cells: Iterable[str], where: str, source: str) -> None:
    """A NUL character marks a binary file, not a CSV one."""
    if any("\x00" in cell for cell in cells):
        raise ImportFileInvalid(source, [f"{where}: a NUL character (binary data, not CSV text)"])


def plain_type(kind: pa.DataType) -> bool:
    """Can a cell of this Arrow type be read as one plain value?"""
    if pa.types.is_dictionary(kind):
        return plain_type(kind.value_type)
    checks = (
        pa.types.is_string,
        pa.types.is_large_string,
        pa.types.is_integer,
        pa.types.is_floating,
        pa.types.is_decimal,
        pa.types.is_boolean,
        pa.types.is_timestamp,
        pa.types.is_date,
        pa.types.is_null,
    )
    return any(check(kind) for check in checks)


def _short(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= 200 else message[:197] + "…"
