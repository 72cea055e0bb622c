"""Bank entries as CSV: ``hash,item_id,added_by,added_at,reason,quality`` plus metadata columns.
``parse_csv`` reads a file's lines (header first) into entries, ``csv_lines`` writes them back;
which cells are accepted and what an empty one means: docs/internals/banks.md."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime

from deepscreen.banks import parsing as p
from deepscreen.core.banks import BankEntry
from deepscreen.core.errors import BankFileInvalid

CSV_COLUMNS = ("hash", "item_id", "added_by", "added_at", "reason", "quality")
_PREFIX = "metadata."


class _Header:
    """Where each column sits; an absent standard column reads the empty cell appended at
    ``width``. ``row`` turns one record into a ``Row``."""

    def __init__(self, names: list[str], source: str, line: int) -> None:
        errors = p.ErrorLog(source)
        seen: set[str] = set()
        for name in names:
            if not name:
                errors.add(line, "the header has an empty column name")
            elif name in seen:
                errors.add(line, f"the header names column {p.quote(name)} twice")
            seen.add(name)
        if "hash" not in seen:
            errors.add(line, f"the header {p.quote(','.join(names))} has no 'hash' column")
        errors.raise_if_any()
        self.width = len(names)
        at = {c: names.index(c) if c in seen else self.width for c in CSV_COLUMNS}
        self.hash, self.item_id, self.added_by = at["hash"], at["item_id"], at["added_by"]
        self.added_at, self.reason, self.quality = at["added_at"], at["reason"], at["quality"]
        self.extra = [
            (i, n[len(_PREFIX) :] if n.startswith(_PREFIX) else n)
            for i, n in enumerate(names)
            if n not in CSV_COLUMNS
        ]
        self._times: dict[str, datetime] = {}  # exports repeat times: parse each text once

    def row(self, record: list[str], default: p.Row) -> p.Row:
        if len(record) != self.width:
            raise ValueError(f"{len(record)} fields, the header has {self.width}")
        if "\x00" in "".join(record):
            raise ValueError("a field holds a NUL character")
        record.append("")  # the cell of every absent standard column
        added_at = record[self.added_at]
        at = self._times.get(added_at)
        if at is None:
            at = p.timestamp(added_at) if added_at.strip() else default.added_at
            self._times[added_at] = at
        metadata = {key: record[i] for i, key in self.extra if record[i]}
        return p.Row(
            hash_hex=p.pdq_hex(record[self.hash]),
            item_id=record[self.item_id] or None,
            added_by=record[self.added_by] or default.added_by,
            added_at=at,
            reason=record[self.reason] or default.reason,
            quality=p.quality(record[self.quality]) if record[self.quality] else None,
            metadata=metadata or p.NO_METADATA,
        )


def parse_csv(lines: Iterable[str], *, bank: str, source: str, default: p.Row) -> list[BankEntry]:
    """Entries of every row, in order; ``BankFileInvalid`` listing each bad line otherwise.

    ``lines`` should come from a file opened with ``newline=""`` (quoted fields may span lines);
    ``default`` holds the fields a row leaves empty (its hash is empty).
    """
    errors = p.ErrorLog(source)
    duplicates = p.Duplicates()
    rows: list[p.Row] = []
    reader = csv.reader(lines, strict=True)
    header: _Header | None = None
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if header is None:
                header = _Header([n.strip() for n in record], source, reader.line_num)
                continue
            try:
                row = header.row(record, default)
            except ValueError as exc:
                errors.add(reader.line_num, str(exc))
                continue
            repeat = duplicates.check(row.hash_hex, reader.line_num)
            if repeat:
                errors.add(reader.line_num, repeat)
            elif not errors.total:
                rows.append(row)
    except csv.Error as exc:  # e.g. an unclosed quote: the rest of the file cannot be split
        errors.add(reader.line_num, f"unreadable CSV, stopped here: {exc}")
    if header is None and not errors.total:
        raise BankFileInvalid(source, ["line 1: no header line (expected 'hash,...')"])
    errors.raise_if_any()
    return p.to_entries(bank, rows)


def metadata_keys(entries: Iterable[BankEntry]) -> list[str]:
    """Every metadata key of ``entries`` in first-seen order: the extra columns of an export."""
    keys: dict[str, None] = {}
    for entry in entries:
        for key in entry.metadata:
            keys.setdefault(key, None)
    return list(keys)


def csv_lines(entries: Iterable[BankEntry], metadata: Sequence[str] = ()) -> Iterator[str]:
    """The header, then one line per entry; ``metadata`` names the extra columns."""
    line = _Line()
    writer = csv.writer(line, lineterminator="\n")
    names = [_PREFIX + k if k in CSV_COLUMNS or k.startswith(_PREFIX) else k for k in metadata]
    writer.writerow([*CSV_COLUMNS, *names])
    yield line.take()
    for e in entries:
        writer.writerow(
            [
                e.hash_hex,
                e.item_id or "",
                e.added_by,
                e.added_at.astimezone(UTC).isoformat(),
                e.reason,
                "" if e.quality is None else str(e.quality),
                *(e.metadata.get(k, "") for k in metadata),
            ]
        )
        yield line.take()


class _Line:
    """A write target for ``csv.writer`` that hands each written row back as text."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text
