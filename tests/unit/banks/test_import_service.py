"""``import_bank_file`` and ``export_bank`` over the in-memory store: files, encodings, counts."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepscreen.banks.formats import BankFileFormat
from deepscreen.core.banks import Bank, BankPurpose
from deepscreen.core.errors import BankNotFound, InvalidInput
from deepscreen.service.banks import export_bank, import_bank_file
from deepscreen.store.banks.memory import InMemoryBankStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
HMA, CSV = BankFileFormat.HMA, BankFileFormat.CSV


@pytest.fixture
def store() -> InMemoryBankStore:
    store = InMemoryBankStore()
    store.create_bank(Bank("fakes", BankPurpose.BLOCK, NOW, "test"))
    return store


def test_import_counts_new_and_already_held_entries(store, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{'a' * 64}\n{'b' * 64}\n")
    first = import_bank_file(store, "fakes", path, HMA, "ana", NOW, reason="tip")
    path.write_text(f"{'b' * 64}\n{'c' * 64}\n")
    second = import_bank_file(store, "fakes", path, HMA, "ana", NOW)
    assert (first.read, first.added, second.added, second.skipped) == (2, 2, 1, 1)
    assert [e.reason for e in store.entries("fakes")] == ["tip", "tip", ""]


def test_import_reads_a_utf8_file_with_a_byte_order_mark(store, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("hash,reason\n".encode("utf-8-sig") + f"{'a' * 64},Zoë\r\n".encode())
    assert import_bank_file(store, "fakes", path, CSV, "ana", NOW).added == 1
    assert next(store.entries("fakes")).reason == "Zoë"


def test_import_refuses_unreadable_files(store, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"# caf\xe9\n")
    with pytest.raises(InvalidInput, match="latin1.txt: not UTF-8 text"):
        import_bank_file(store, "fakes", latin1, HMA, "ana", NOW)
    with pytest.raises(InvalidInput, match="missing.txt: cannot read"):
        import_bank_file(store, "fakes", tmp_path / "missing.txt", HMA, "ana", NOW)
    with pytest.raises(BankNotFound):
        import_bank_file(store, "nope", tmp_path / "missing.txt", HMA, "ana", NOW)


def test_export_writes_every_entry_and_counts_them(store, tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{'a' * 64},quality=80,case=c1\n{'b' * 64}\n")
    import_bank_file(store, "fakes", path, HMA, "ana", NOW)
    out = io.StringIO()
    assert export_bank(store, "fakes", CSV, out) == 2
    assert out.getvalue().splitlines() == [
        "hash,item_id,added_by,added_at,reason,quality,case",
        f"{'a' * 64},,ana,2025-03-01T12:00:00+00:00,,80,c1",
        f"{'b' * 64},,ana,2025-03-01T12:00:00+00:00,,,",
    ]
    with pytest.raises(BankNotFound):
        export_bank(store, "nope", HMA, io.StringIO())
