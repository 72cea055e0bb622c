"""Import the impact inputs that arrive from outside the pipeline: views, labels, appeals and
notices, from CSV or Parquet files, as events. A file is imported whole or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from deepscreen.core.errors import InvalidInput
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
from deepscreen.service.scan import Services

MAX_PROBLEMS_SHOWN = 5


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


@dataclass(frozen=True)
class ImportResult:
    kind: ImportKind
    path: Path
    events: int


def import_file(
    services: Services, kind: ImportKind, path: Path, *, now: datetime | None = None
) -> ImportResult:
    """Read ``path`` (``.csv`` or ``.parquet``), validate every row, append all rows as events
    in one transaction. Raises ``InvalidInput`` naming up to five bad rows (by line for CSV)
    and writing nothing. Unknown item ids are refused: views of an item never scanned cannot
    be attributed to a decision."""
    table = read_table(path)
    required, optional = COLUMNS[kind]
    missing = [c for c in required if c not in table.column_names]
    if missing:
        raise InvalidInput(
            f"{path}: {kind.value} files need columns {', '.join(required)}"
            f"{' (optional: ' + ', '.join(optional) + ')' if optional else ''}; "
            f"missing {', '.join(missing)}"
        )
    rows = _rows(table, [*required, *[c for c in optional if c in table.column_names]])
    known = {event.item_id for event in services.store.read(kinds=["item_ingested"])}
    build = _BUILDERS[kind]
    events: list[Event] = []
    problems: list[str] = []
    offset = 2 if path.suffix.lower() == ".csv" else 1  # CSV line numbers count the header
    where = "line" if offset == 2 else "row"
    default_time = now or services.clock()
    for number, row in enumerate(rows, start=offset):
        try:
            if row["item_id"] not in known:
                raise ValueError(f"unknown item id {row['item_id']!r}")
            events.append(build(row, default_time, path))
        except (ValueError, TypeError) as exc:
            problems.append(f"{where} {number}: {exc}")
    if problems:
        shown = "; ".join(problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        raise InvalidInput(
            f"{path}: {len(problems)} bad row(s), nothing imported: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    if events:
        services.store.append(events)
    return ImportResult(kind, path, len(events))


def read_table(path: Path) -> pa.Table:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            options = pacsv.ConvertOptions(strings_can_be_null=False, auto_dict_encode=False)
            read = pacsv.ReadOptions(autogenerate_column_names=False)
            table = pacsv.read_csv(path, read_options=read, convert_options=options)
            return table.cast(pa.schema([(name, pa.string()) for name in table.column_names]))
        if suffix in (".parquet", ".pq"):
            return pq.read_table(path)
    except (OSError, pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInput(f"cannot read {str(path)!r}: {exc}") from exc
    raise InvalidInput(f"{path}: expected a .csv or .parquet file")


def _rows(table: pa.Table, columns: Sequence[str]) -> list[dict[str, Any]]:
    selected = table.select(list(columns))
    as_text = {
        name: pc.cast(selected.column(name), pa.string()).to_pylist()
        if not pa.types.is_timestamp(selected.schema.field(name).type)
        else selected.column(name).to_pylist()
        for name in columns
    }
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*as_text.values(), strict=True)
    ]


def _time(value: Any, column: str) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"{column} {value!r} is not an ISO 8601 time") from exc
    else:
        raise ValueError(f"{column} is empty")
    if moment.utcoffset() is None:
        raise ValueError(f"{column} {value!r} has no time zone (write e.g. 2026-10-01T12:00Z)")
    return moment


def _views(row: Mapping[str, Any], now: datetime, path: Path) -> Event:
    try:
        count = int(str(row["views"]).strip())
    except ValueError as exc:
        raise ValueError(f"views {row['views']!r} is not a whole number") from exc
    if count < 0:
        raise ValueError(f"views {count} is negative")
    return ViewsObserved(
        item_id=row["item_id"], occurred_at=_time(row["occurred_at"], "occurred_at"), views=count
    )


def _labels(row: Mapping[str, Any], now: datetime, path: Path) -> Event:
    flag = str(row["violating"]).strip().lower()
    if flag not in TRUE | FALSE:
        raise ValueError(f"violating {row['violating']!r} is not true/false")
    at = _time(row["occurred_at"], "occurred_at") if row.get("occurred_at") else now
    return ReviewCompleted(
        item_id=row["item_id"],
        occurred_at=at,
        verdict=Verdict.VIOLATING if flag in TRUE else Verdict.NOT_VIOLATING,
        reviewer=row.get("reviewer") or f"label-import:{path.name}",
        label=row.get("label") or "",
        reason_code="label_import",
    )


def _appeals(row: Mapping[str, Any], now: datetime, path: Path) -> Event:
    outcome = str(row["outcome"]).strip().lower()
    if outcome not in {o.value for o in AppealOutcome}:
        raise ValueError(
            f"outcome {row['outcome']!r} is not one of {', '.join(o.value for o in AppealOutcome)}"
        )
    return AppealResolved(
        item_id=row["item_id"],
        occurred_at=_time(row["decided_at"], "decided_at"),
        received_at=_time(row["received_at"], "received_at"),
        outcome=AppealOutcome(outcome),
        decision_id=row.get("decision_id") or None,
    )


def _notices(row: Mapping[str, Any], now: datetime, path: Path) -> Event:
    notifier = (row.get("notifier") or "user").strip().lower()
    if notifier not in {n.value for n in Notifier}:
        raise ValueError(
            f"notifier {notifier!r} is not one of {', '.join(n.value for n in Notifier)}"
        )
    return NoticeReceived(
        item_id=row["item_id"],
        occurred_at=_time(row["occurred_at"], "occurred_at"),
        notifier=Notifier(notifier),
    )


_BUILDERS: dict[ImportKind, Callable[[Mapping[str, Any], datetime, Path], Event]] = {
    ImportKind.VIEWS: _views,
    ImportKind.LABELS: _labels,
    ImportKind.APPEALS: _appeals,
    ImportKind.NOTICES: _notices,
}
