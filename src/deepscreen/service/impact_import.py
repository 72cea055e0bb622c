"""Import the impact inputs that arrive from outside the pipeline — views, labels, appeals and
notices, from CSV or Parquet files — as events: whole file or nothing, once per content,
bounded, with typed refusals (docs/reliability-imports.md)."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from deepscreen.core.errors import ImportFileInvalid
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    Event,
    NoticeReceived,
    Notifier,
    ReviewCompleted,
    Verdict,
    ViewsObserved,
)
from deepscreen.core.imports import ImportRecord
from deepscreen.service.scan import Services

MAX_PROBLEMS_SHOWN = 5
MAX_VIEWS_PER_ROW = 10**12
"""New views in one row: a trillion, above any real item's lifetime views (the API's limit too)."""
MAX_VIEWS_PER_ITEM = 10**15
"""An item's stored plus imported views: ``impact`` computes in float64, exact to 2^53 ≈ 9.0e15;
two rows of 5e18 once made every later ``deepscreen impact`` fail."""
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Times are accepted in [EARLIEST, LATEST): anything else is a typo or a unit mix-up."""
MAX_TEXT_CHARS = 256
"""An item id, label, reviewer, outcome, notifier or decision id cell (ids are ~71 chars)."""
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")


class ImportKind(StrEnum):
    VIEWS = "views"
    LABELS = "labels"
    APPEALS = "appeals"
    NOTICES = "notices"


COLUMNS: dict[ImportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required columns, optional columns)
    ImportKind.VIEWS: (("item_id", "occurred_at", "views"), ()),
    ImportKind.LABELS: (("item_id", "violating"), ("occurred_at", "label", "reviewer")),
    ImportKind.APPEALS: (
        ("item_id", "received_at", "decided_at", "outcome"),
        ("decision_id",),
    ),
    ImportKind.NOTICES: (("item_id", "occurred_at"), ("notifier",)),
}
TRUE, FALSE = {"true", "1", "yes", "violating"}, {"false", "0", "no", "not_violating"}

Row = Mapping[str, Any]
"""One data row: cell values by column (text from CSV; text, numbers, times from Parquet)."""
Record = dict[str, Any]
"""One row checked and normalised (times in UTC, whole numbers, lower-case choices): what the
events are built from and what the content digest is computed over."""


@dataclass(frozen=True)
class ImportResult:
    """``events`` appended now; ``already`` is the earlier import of the same content when
    nothing was applied."""

    kind: ImportKind
    path: Path
    events: int
    record: ImportRecord
    already: ImportRecord | None = None


@dataclass(frozen=True)
class DataFile:
    """A file's columns and its data rows, each with its CSV line or Parquet row number."""

    columns: tuple[str, ...]
    rows: list[tuple[int, Row]]
    where: str  # "line" (CSV) or "row" (Parquet)


def import_file(
    services: Services, kind: ImportKind, path: Path, *, now: datetime | None = None
) -> ImportResult:
    """Read ``path`` (``.csv`` or ``.parquet``), check every row, then append all rows as
    events with the import's record, in one transaction — or, when the same content was
    imported before, nothing (``ImportResult.already``).

    Raises ``ImportFileInvalid`` naming the problem (up to five bad rows, by CSV line or
    Parquet row) and writing nothing. Unknown item ids are refused: views of an item never
    scanned cannot be attributed to a decision.
    """
    source = str(path)
    data = read_data_file(path, kind)
    known = {event.item_id for event in services.store.read(kinds=["item_ingested"])}
    records, problems = check_rows(kind, data, known)
    if kind is ImportKind.VIEWS and not problems:
        stored = stored_views(services, {r["item_id"] for _, r in records})
        problems = views_over_item_limit(records, stored, data.where)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        raise ImportFileInvalid(source, shown, total=len(problems), rows=True)
    at = now or services.clock()
    build = _BUILDERS[kind]
    events = [build(record, at, path) for _, record in records]
    record = ImportRecord(
        kind=kind.value,
        digest=content_digest(kind, [r for _, r in records]),
        source=source,
        imported_at=at,
        events=len(events),
    )
    earlier = services.store.append_import(record, events)
    if earlier is not None:
        return ImportResult(kind, path, 0, record, already=earlier)
    return ImportResult(kind, path, len(events), record)


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


def check_rows(
    kind: ImportKind, data: DataFile, known: set[str]
) -> tuple[list[tuple[int, Record]], list[str]]:
    """Every row parsed and normalised, and a problem (``line N: …``) for each bad one."""
    parse = _PARSERS[kind]
    records: list[tuple[int, Record]] = []
    problems: list[str] = []
    for number, row in data.rows:
        try:
            record = parse(row)
            if record["item_id"] not in known:
                raise ValueError(f"unknown item id {record['item_id']!r}")
        except (ValueError, TypeError, ArithmeticError) as exc:
            problems.append(f"{data.where} {number}: {exc}")
            continue
        records.append((number, record))
    return records, problems


def stored_views(services: Services, items: set[str]) -> Counter[str]:
    """Views already recorded for each of ``items``."""
    totals: Counter[str] = Counter()
    for event in services.store.read(kinds=["views_observed"]):
        if event.item_id in items and isinstance(event, ViewsObserved):
            totals[event.item_id] += event.views
    return totals


def views_over_item_limit(
    records: Sequence[tuple[int, Record]], stored: Mapping[str, int], where: str
) -> list[str]:
    """A problem for each row that takes its item's views over ``MAX_VIEWS_PER_ITEM``."""
    totals = Counter(stored)
    problems = []
    for number, record in records:
        item = record["item_id"]
        totals[item] += record["views"]
        if totals[item] > MAX_VIEWS_PER_ITEM:
            problems.append(
                f"{where} {number}: item {item!r} would have {totals[item]:,} views "
                f"({stored.get(item, 0):,} stored), over the limit of {MAX_VIEWS_PER_ITEM:,}"
            )
    return problems


def content_digest(kind: ImportKind, records: Iterable[Record]) -> str:
    """SHA-256 of the kind and the normalised rows in sorted order: the same data imported
    again — as the same file, reordered, or converted between CSV and Parquet — has the same
    digest. Optional cells left empty count as absent."""
    lines = sorted(
        json.dumps(
            {
                k: v.isoformat() if isinstance(v, datetime) else v
                for k, v in r.items()
                if v is not None
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        for r in records
    )
    return hashlib.sha256("\n".join([kind.value, *lines]).encode()).hexdigest()


# --- cells: one checked, normalised value each, or ValueError naming the column


def text(value: Any, column: str, *, required: bool = True) -> str | None:
    """A text cell, stripped; empty is None (``ValueError`` when ``required``)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{column} is empty")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{column} {_show(value)} is a {type(value).__name__}, expected text")
    stripped = value.strip()
    if len(stripped) > MAX_TEXT_CHARS:
        raise ValueError(
            f"{column} is {len(stripped):,} characters long, over the limit of {MAX_TEXT_CHARS}"
        )
    return stripped


def whole(value: Any, column: str, low: int, high: int) -> int:
    """A whole number in [low, high]: an integer, an integral float or decimal, or digits."""
    if isinstance(value, bool):
        raise ValueError(f"{column} {value!r} is a boolean, not a whole number")
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError(f"{column} {_show(value)} is not a whole number")
    if number < low:
        raise ValueError(f"{column} {number} is negative" if low == 0 else f"{column} < {low}")
    if number > high:
        raise ValueError(f"{column} {number:,} is over the limit of {high:,} a row")
    return number


def flag(value: Any, column: str) -> bool:
    """true/false, 1/0, yes/no, violating/not_violating (any case), or a boolean."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise ValueError(f"{column} {_show(value)} is not true/false")


def moment(value: Any, column: str) -> datetime:
    """An aware time in [EARLIEST, LATEST), in UTC: an ISO 8601 text with a zone, or a Parquet
    timestamp with a time zone."""
    if isinstance(value, datetime):
        at = value
    elif isinstance(value, date):
        raise ValueError(f"{column} {value.isoformat()!r} is a date: give a time with a zone")
    elif isinstance(value, str) and value.strip():
        try:
            at = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{column} {_show(value)} is not an ISO 8601 time") from exc
    elif value is None or isinstance(value, str):
        raise ValueError(f"{column} is empty")
    else:
        raise ValueError(f"{column} {_show(value)} is not a time")
    if at.utcoffset() is None:
        raise ValueError(f"{column} {_show(value)} has no time zone (write e.g. 2026-10-01T12:00Z)")
    if not EARLIEST <= at < LATEST:
        raise ValueError(
            f"{column} {_show(value)} is outside {EARLIEST:%Y-%m-%d} … {LATEST:%Y-%m-%d}"
        )
    utc = at.astimezone(UTC)  # a plain datetime, whatever subclass Arrow handed over
    return datetime(*utc.timetuple()[:6], utc.microsecond, tzinfo=UTC)


def choice(value: Any, column: str, options: Iterable[str]) -> str:
    word = (text(value, column) or "").lower()
    allowed = list(options)
    if word not in allowed:
        raise ValueError(f"{column} {_show(value)} is not one of {', '.join(allowed)}")
    return word


def _show(value: Any) -> str:
    """A cell as a message quotes it: repr, cut to 40 characters (a huge field stays short)."""
    shown = repr(value.isoformat() if isinstance(value, date) else value)
    return shown if len(shown) <= 40 else shown[:37] + "…"


def _short(exc: BaseException) -> str:
    message = str(exc).strip() or type(exc).__name__
    return message if len(message) <= 200 else message[:197] + "…"


# --- rows: parse (check and normalise) and build (the event)


def parse_views(row: Row) -> Record:
    return {
        "item_id": text(row["item_id"], "item_id"),
        "occurred_at": moment(row["occurred_at"], "occurred_at"),
        "views": whole(row["views"], "views", 0, MAX_VIEWS_PER_ROW),
    }


def parse_labels(row: Row) -> Record:
    at = row.get("occurred_at")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "violating": flag(row["violating"], "violating"),
        "occurred_at": moment(at, "occurred_at") if text_or_value(at) else None,
        "label": text(row.get("label"), "label", required=False),
        "reviewer": text(row.get("reviewer"), "reviewer", required=False),
    }


def parse_appeals(row: Row) -> Record:
    received = moment(row["received_at"], "received_at")
    decided = moment(row["decided_at"], "decided_at")
    if received > decided:
        raise ValueError("an appeal cannot be decided before it was received")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "received_at": received,
        "decided_at": decided,
        "outcome": choice(row["outcome"], "outcome", (o.value for o in AppealOutcome)),
        "decision_id": text(row.get("decision_id"), "decision_id", required=False),
    }


def parse_notices(row: Row) -> Record:
    notifier = row.get("notifier")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "occurred_at": moment(row["occurred_at"], "occurred_at"),
        "notifier": choice(notifier, "notifier", (n.value for n in Notifier))
        if text_or_value(notifier)
        else Notifier.USER.value,
    }


def text_or_value(value: Any) -> bool:
    """Is an optional cell filled (not None, not blank text)?"""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _views(record: Record, now: datetime, path: Path) -> Event:
    return ViewsObserved(
        item_id=record["item_id"], occurred_at=record["occurred_at"], views=record["views"]
    )


def _labels(record: Record, now: datetime, path: Path) -> Event:
    return ReviewCompleted(
        item_id=record["item_id"],
        occurred_at=record["occurred_at"] or now,
        verdict=Verdict.VIOLATING if record["violating"] else Verdict.NOT_VIOLATING,
        reviewer=record["reviewer"] or f"label-import:{path.name}",
        label=record["label"] or "",
        reason_code="label_import",
    )


def _appeals(record: Record, now: datetime, path: Path) -> Event:
    return AppealResolved(
        item_id=record["item_id"],
        occurred_at=record["decided_at"],
        received_at=record["received_at"],
        outcome=AppealOutcome(record["outcome"]),
        decision_id=record["decision_id"],
    )


def _notices(record: Record, now: datetime, path: Path) -> Event:
    return NoticeReceived(
        item_id=record["item_id"],
        occurred_at=record["occurred_at"],
        notifier=Notifier(record["notifier"]),
    )


_PARSERS: dict[ImportKind, Callable[[Row], Record]] = {
    ImportKind.VIEWS: parse_views,
    ImportKind.LABELS: parse_labels,
    ImportKind.APPEALS: parse_appeals,
    ImportKind.NOTICES: parse_notices,
}
_BUILDERS: dict[ImportKind, Callable[[Record, datetime, Path], Event]] = {
    ImportKind.VIEWS: _views,
    ImportKind.LABELS: _labels,
    ImportKind.APPEALS: _appeals,
    ImportKind.NOTICES: _notices,
}
