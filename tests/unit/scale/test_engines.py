"""Local-engine pieces that need no process: the start method chosen, and the bank snapshot
handed to workers (same banks, same entries, same order as the driver's store)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from multiprocessing import get_all_start_methods

import pytest

from deepscreen.core.banks import Bank, BankEntry, BankPurpose
from deepscreen.core.errors import ConfigError
from deepscreen.scale.engines import BankSnapshot, preloaded_modules, start_method_for
from deepscreen.settings import Settings
from deepscreen.store.banks.memory import InMemoryBankStore

WHEN = datetime(2026, 1, 1, tzinfo=UTC)


def entry(bank: str, n: int) -> BankEntry:
    return BankEntry(bank, f"{n:064x}", WHEN, "tester", reason=f"r{n}", item_id=f"item-{n}")


def test_bank_snapshot_when_banks_interleave_keeps_the_store_order() -> None:
    store = InMemoryBankStore()
    for name in ("block_list", "known_fakes"):
        store.create_bank(Bank(name, BankPurpose.BLOCK, WHEN, "tester", threshold=12))
    store.add_entries("block_list", [entry("block_list", 1), entry("block_list", 2)])
    store.add_entries("known_fakes", [entry("known_fakes", 3)])
    store.add_entries("block_list", [entry("block_list", 4)])

    copy = BankSnapshot.of(store).to_store()

    assert copy.list_banks() == store.list_banks()
    assert [e for _, e in copy.entries_since(None)] == [e for _, e in store.entries_since(None)]


def test_bank_snapshot_when_no_banks_is_an_empty_store() -> None:
    assert BankSnapshot.of(InMemoryBankStore()).to_store().list_banks() == []


def test_start_method_when_asked_for_one_is_that_one() -> None:
    assert start_method_for("spawn") == "spawn"


def test_start_method_when_unknown_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="start method 'threads'"):
        start_method_for("threads")


@pytest.mark.skipif("fork" not in get_all_start_methods(), reason="no fork on this platform")
def test_start_method_when_another_thread_runs_is_not_fork() -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert start_method_for(None) in ("forkserver", "spawn")
    finally:
        stop.set()
        other.join()


def test_preloaded_modules_when_a_detector_is_disabled_leave_it_out() -> None:
    modules = preloaded_modules(Settings(db_url="memory://", detectors=["c2pa", "metadata"]))
    assert modules[0] == "deepscreen.scale.engines"
    assert not any("watermark" in module for module in modules)
    assert any("c2pa" in module for module in modules)
