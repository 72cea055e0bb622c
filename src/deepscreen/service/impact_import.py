"""Import the impact inputs that arrive from outside the pipeline — views, labels, appeals and
notices, from CSV or Parquet files — as events: whole file or nothing, once per content,
bounded, with typed refusals (docs/reliability-imports.md)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from deepscreen.core.errors import ImportFileInvalid
from deepscreen.core.events import ViewsObserved
from deepscreen.core.imports import ImportRecord
from deepscreen.service.impact_import_files import DataFile, read_data_file
from deepscreen.service.impact_import_rows import _BUILDERS, _PARSERS, ImportKind, Record
from deepscreen.service.scan import Services

__all__ = ["MAX_PROBLEMS_SHOWN", "MAX_VIEWS_PER_ITEM", "ImportKind", "ImportResult", "import_file"]

MAX_PROBLEMS_SHOWN = 5
MAX_VIEWS_PER_ITEM = 10**15
"""An item's stored plus imported views: ``impact`` computes in float64, exact to 2^53 ≈ 9.0e15;
two rows of 5e18 once made every later ``deepscreen impact`` fail."""


@dataclass(frozen=True)
class ImportResult:
    """``events`` appended now; ``already`` is the earlier import of the same content when
    nothing was applied."""

    kind: ImportKind
    path: Path
    events: int
    record: ImportRecord
    already: ImportRecord | None = None


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
