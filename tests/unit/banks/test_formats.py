"""Bank exchange files: what each format accepts, every refusal listed by line, round trips."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deepscreen.banks.formats import (
    BankFileFormat,
    bank_file_lines,
    metadata_keys,
    parse_bank_file,
)
from deepscreen.core.banks import BankEntry
from deepscreen.core.errors import BankFileInvalid

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
H1, H2, H3 = "a" * 64, "0123456789abcdef" * 4, "f" * 63 + "0"
CSV_HEADER = "hash,item_id,added_by,added_at,reason,quality"


def parse(text: str, fmt: BankFileFormat, **kw: str) -> list[BankEntry]:
    lines = io.StringIO(text, newline="")
    return parse_bank_file(
        lines, fmt, bank="fakes", added_by=kw.get("by", "importer"), now=NOW, source="f.txt"
    )


def refusal(text: str, fmt: BankFileFormat) -> BankFileInvalid:
    with pytest.raises(BankFileInvalid) as info:
        parse(text, fmt)
    return info.value


def export(entries: list[BankEntry], fmt: BankFileFormat) -> str:
    return "".join(bank_file_lines(entries, fmt, metadata_keys(entries)))


def test_hma_reads_one_hash_a_line_with_defaults() -> None:
    got = parse(f"{H1}\n{H2}\n", BankFileFormat.HMA)
    assert [e.hash_hex for e in got] == [H1, H2]
    assert got[0] == BankEntry("fakes", H1, NOW, "importer")


def test_hma_normalises_uppercase_and_skips_comments_and_blank_lines() -> None:
    text = f"# exported by a partner\n\n  {H1.upper()}  \r\n\t\n# {H3}\n{H2}"
    assert [e.hash_hex for e in parse(text, BankFileFormat.HMA)] == [H1, H2]


def test_hma_reads_threatexchange_and_pdq_tool_lines() -> None:
    text = "\n".join(
        [
            f"pdq {H1}",  # threatexchange hash / local-file exchange
            f"{H2},87,photos/cat 1.jpg",  # pdq-photo-hasher: hash,quality,filename
            f"hash={H3},norm=128,delta=0,quality=100,filename=b.jpg",  # pdq hashio, detailed
            f"{'1' * 64} 64 extra words",
            f"{'2' * 64},item_id=sha256:x,reason=tip,added_by=ana,added_at=2025-01-02T03:04:05Z",
        ]
    )
    a, b, c, d, e = parse(text, BankFileFormat.HMA)
    assert (a.hash_hex, a.quality, a.metadata) == (H1, None, {})
    assert (b.hash_hex, b.quality, b.metadata) == (H2, 87, {"col3": "photos/cat 1.jpg"})
    assert (c.quality, c.metadata) == (100, {"norm": "128", "delta": "0", "filename": "b.jpg"})
    assert (d.quality, d.metadata) == (64, {"col3": "extra", "col4": "words"})
    assert (e.item_id, e.reason, e.added_by) == ("sha256:x", "tip", "ana")
    assert e.added_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_hma_lists_every_bad_line_with_its_value() -> None:
    text = "\n".join(
        [
            H1,
            "abc",  # 2: too short
            "g" * 64,  # 3: not hex
            f"md5 {'d' * 32}",  # 4: another signal type
            f"{H2},101",  # 5: quality out of range
            f"{H2},quality=high",  # 6: quality not a number
            H1.upper(),  # 7: repeats line 1
            f"{H3},added_at=2025-01-01T00:00:00",  # 8: naive time
        ]
    )
    errors = refusal(text, BankFileFormat.HMA).errors
    assert errors == (
        "line 2: 'abc' is not a PDQ hash: 3 hex digits, expected 64",
        f"line 3: {'g' * 64!r} is not a PDQ hash: it has characters other than 0-9a-f",
        "line 4: signal type 'md5' is not pdq",
        "line 5: quality '101' is not an integer in 0..100",
        "line 6: quality 'high' is not an integer in 0..100",
        f"line 7: hash {H1!r} repeats line 1",
        "line 8: added_at '2025-01-01T00:00:00' has no UTC offset"
        " (write e.g. 2025-03-01T12:00:00Z)",
    )


def test_refusal_lists_twenty_errors_and_counts_them_all() -> None:
    error = refusal("\n".join(["zz"] * 45), BankFileFormat.HMA)
    assert len(error.errors) == 20 and error.errors[-1].startswith("line 20: ")
    assert "45 bad lines" in str(error) and "and 25 more" in str(error)
    assert str(error).startswith("f.txt: refused, nothing imported")


def test_csv_reads_every_field_and_keeps_extra_columns_as_metadata() -> None:
    text = (
        "quality,hash,reason,added_at,item_id,added_by,case\n"
        f"90,{H1.upper()},confirmed,2025-02-01T10:00:00+01:00,sha256:1,ana,C-1\n"
        f",{H2},,,,,\n"
    )
    first, second = parse(text, BankFileFormat.CSV)
    assert first == BankEntry(
        bank="fakes",
        hash_hex=H1,
        added_at=datetime(2025, 2, 1, 9, 0, tzinfo=UTC),
        added_by="ana",
        reason="confirmed",
        item_id="sha256:1",
        quality=90,
        metadata={"case": "C-1"},
    )
    assert second == BankEntry("fakes", H2, NOW, "importer")


def test_csv_needs_only_the_hash_column() -> None:
    assert [e.hash_hex for e in parse(f"hash\n{H1}\n\n{H2}\n", BankFileFormat.CSV)] == [H1, H2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: no header line"),
        ("item_id,reason\nx,y\n", "has no 'hash' column"),
        ("hash,hash\n", "names column 'hash' twice"),
        ("hash,,x\n", "empty column name"),
    ],
)
def test_csv_refuses_a_bad_header(text: str, message: str) -> None:
    assert message in refusal(text, BankFileFormat.CSV).errors[0]


def test_csv_lists_every_bad_row() -> None:
    rows = [
        f"{H1},,,,,",
        f"{H2},,,yesterday,,",  # 3: bad time
        f"{H3},,,2025-01-01 00:00,,",  # 4: naive time
        f"{H1},,,,,",  # 5: duplicate of line 2
        f"{'1' * 64},,,,,-1",  # 6: bad quality
        f"{'2' * 64},,",  # 7: field count
        f"{'3' * 65},,,,,",  # 8: long hash
    ]
    errors = refusal("\n".join([CSV_HEADER, *rows]), BankFileFormat.CSV).errors
    assert errors == (
        "line 3: added_at 'yesterday' is not an ISO 8601 time",
        "line 4: added_at '2025-01-01 00:00' has no UTC offset (write e.g. 2025-03-01T12:00:00Z)",
        f"line 5: hash {H1!r} repeats line 2",
        "line 6: quality '-1' is not an integer in 0..100",
        "line 7: 3 fields, the header has 6",
        f"line 8: {'3' * 65!r} is not a PDQ hash: 65 hex digits, expected 64",
    )


def test_csv_names_the_line_where_quoting_breaks() -> None:
    error = refusal(f'{CSV_HEADER}\n{H1},,,,"open\n', BankFileFormat.CSV)
    assert error.errors[0].startswith("line 2: unreadable CSV")  # where the quote opens


def _entries() -> list[BankEntry]:
    cet = timezone(timedelta(hours=1))
    return [
        BankEntry("fakes", H1, NOW, "ana", "tip, with comma", "sha256:1", 88, {"case": "C-1"}),
        BankEntry("fakes", H2, NOW.astimezone(cet), "bo", 'quoted "reason"\nsecond line'),
        BankEntry("fakes", H3, NOW, "ana", "", None, 0, {"reason": "meta", "other": "x"}),
    ]


def test_csv_export_then_import_gives_equal_entries() -> None:
    entries = _entries()
    text = export(entries, BankFileFormat.CSV)
    assert text.splitlines()[0] == CSV_HEADER + ",case,metadata.reason,other"
    assert parse(text, BankFileFormat.CSV) == entries


def test_hma_export_then_import_gives_the_same_hashes_in_order() -> None:
    entries = _entries()
    text = export(entries, BankFileFormat.HMA)
    assert text == f"{H1}\n{H2}\n{H3}\n"
    assert [e.hash_hex for e in parse(text, BankFileFormat.HMA)] == [H1, H2, H3]
