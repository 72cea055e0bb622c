"""A million-line bank file with one broken line is refused whole, quickly, naming the line."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepscreen.banks.formats import BankFileFormat
from deepscreen.core.banks import Bank, BankPurpose
from deepscreen.core.errors import BankFileInvalid
from deepscreen.service.banks import import_bank_file, list_banks
from deepscreen.store.banks.sql import SqlBankStore

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LINES = 1_000_000


def million_line_file(path: Path, broken_at: int) -> str:
    """Random hashes (as ThreatExchange writes them), line ``broken_at`` cut short; returns it."""
    digits = os.urandom(32 * LINES).hex()
    lines = [digits[i : i + 64] for i in range(0, len(digits), 64)]
    broken = lines[broken_at - 1] = lines[broken_at - 1][:63]
    path.write_text("\n".join(lines) + "\n")
    return broken


@pytest.mark.slow
def test_import_refuses_a_million_line_file_when_one_line_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "partner.txt"
    broken = million_line_file(path, broken_at=500_001)
    store = SqlBankStore(f"sqlite:///{tmp_path / 'banks.db'}")
    store.create_bank(Bank("partner", BankPurpose.BLOCK, NOW, "test"))
    started = time.perf_counter()
    with pytest.raises(BankFileInvalid) as info:
        import_bank_file(store, "partner", path, BankFileFormat.HMA, "test", NOW)
    elapsed = time.perf_counter() - started
    assert info.value.errors == (
        f"line 500001: {broken!r} is not a PDQ hash: 63 hex digits, expected 64",
    )
    assert list_banks(store)[0][1] == 0  # nothing imported
    assert elapsed < 20, f"checking 1,000,000 lines took {elapsed:.1f} s"
    store.close()
