"""The plain-text PDQ hash list of ThreatExchange, HMA and Meta's PDQ tools: one hash a line.
``parse_hma`` reads it (optional ``pdq`` type word, ``hash=`` prefix and extra columns: the
exact rules are in docs/internals/banks.md); ``hma_lines`` writes one lowercase hash per line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from deepscreen.banks import parsing as p
from deepscreen.core.banks import BankEntry

_TYPED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)")


def parse_hma(lines: Iterable[str], *, bank: str, source: str, default: p.Row) -> list[BankEntry]:
    """Entries of every line, in order; ``BankFileInvalid`` listing each bad line otherwise.
    ``default`` holds the fields a line leaves out (its hash is empty)."""
    errors = p.ErrorLog(source)
    duplicates = p.Duplicates()
    rows: list[p.Row] = []
    first_line = duplicates.first_line
    fields = default[1:]  # a bare hash's row: the default with that hash
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if len(text) == 64 and p.is_hex_bytes(text):  # the common case, a bare hash: keep it fast
            hash_hex = text.lower()
            if first_line.setdefault(hash_hex, number) != number:
                errors.add(number, p.Duplicates.message(hash_hex, first_line[hash_hex]))
            elif not errors.total:
                rows.append(p.Row(hash_hex, *fields))
            continue
        if not text or text.startswith("#"):
            continue
        try:
            row = _parse_line(text, default)
        except ValueError as exc:
            errors.add(number, str(exc))
            continue
        repeat = duplicates.check(row.hash_hex, number)
        if repeat:
            errors.add(number, repeat)
        elif not errors.total:
            rows.append(row)
    errors.raise_if_any()
    return p.to_entries(bank, rows)


def hma_lines(entries: Iterable[BankEntry]) -> Iterator[str]:
    """One ``<hash>\\n`` line per entry."""
    for entry in entries:
        yield entry.hash_hex + "\n"


def _parse_line(text: str, default: p.Row) -> p.Row:
    typed = _TYPED.fullmatch(text)
    if typed and not p.is_hex(typed.group(1)):
        signal_type, text = typed.groups()
        if signal_type.lower() != "pdq":
            raise ValueError(f"signal type {p.quote(signal_type)} is not pdq")
    columns = [c.strip() for c in text.split(",")] if "," in text else text.split()
    first = columns[0]
    if first[:5].lower() == "hash=":
        first = first[5:]
    row = default._replace(hash_hex=p.pdq_hex(first))
    metadata: dict[str, str] = {}
    for number, column in enumerate(columns[1:], start=2):
        key, eq, value = column.partition("=")
        if eq:
            row = _keyed(row, metadata, key.strip(), value.strip())
        elif number == 2 and column.isdigit():
            row = row._replace(quality=p.quality(column))
        elif column:
            metadata[f"col{number}"] = p.text_field(f"column {number}", column)
    return row._replace(metadata=metadata) if metadata else row


def _keyed(row: p.Row, metadata: dict[str, str], key: str, value: str) -> p.Row:
    if not key:
        raise ValueError(f"column {p.quote('=' + value)} has no name before '='")
    if key == "quality":
        return row._replace(quality=p.quality(value))
    if key == "added_at":
        return row._replace(added_at=p.timestamp(value))
    if key == "item_id":
        return row._replace(item_id=p.text_field(key, value) or None)
    if key == "added_by":
        return row._replace(added_by=p.text_field(key, value) or row.added_by)
    if key == "reason":
        return row._replace(reason=p.text_field(key, value))
    metadata[p.text_field("column name", key)] = p.text_field(key, value)
    return row
