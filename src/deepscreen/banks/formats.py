"""Bank exchange file formats by name: parse a file's lines into entries, or entries into lines.
Pure: the caller opens and closes files; ``csv_format`` and ``hma_format`` say what each accepts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from enum import StrEnum

from deepscreen.banks.csv_format import CSV_COLUMNS, csv_lines, metadata_keys, parse_csv
from deepscreen.banks.hma_format import hma_lines, parse_hma
from deepscreen.banks.parsing import MAX_LISTED_ERRORS, NO_METADATA, Row
from deepscreen.core.banks import BankEntry

__all__ = [
    "CSV_COLUMNS",
    "MAX_LISTED_ERRORS",
    "BankFileFormat",
    "bank_file_lines",
    "metadata_keys",
    "parse_bank_file",
]


class BankFileFormat(StrEnum):
    """``csv``: every field of an entry. ``hma``: ThreatExchange/HMA plain text, hashes only."""

    CSV = "csv"
    HMA = "hma"


def parse_bank_file(
    lines: Iterable[str],
    fmt: BankFileFormat,
    *,
    bank: str,
    added_by: str,
    now: datetime,
    source: str,
    reason: str = "",
) -> list[BankEntry]:
    """Every line checked first: the entries in file order, or ``BankFileInvalid`` listing
    each bad line (the first ``MAX_LISTED_ERRORS``, with the total)."""
    default = Row("", None, added_by, now, reason, None, NO_METADATA)
    parse = parse_csv if fmt is BankFileFormat.CSV else parse_hma
    return parse(lines, bank=bank, source=source, default=default)


def bank_file_lines(
    entries: Iterable[BankEntry], fmt: BankFileFormat, metadata: Sequence[str] = ()
) -> Iterator[str]:
    """The lines of an export, each ending in a newline; ``metadata`` names CSV's extra columns
    (see ``metadata_keys``)."""
    if fmt is BankFileFormat.CSV:
        return csv_lines(entries, metadata)
    return hma_lines(entries)
