"""The BankStore contract over every adapter (memory, SQLite file and memory, PostgreSQL), and
opening databases made before the bank tables existed."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from deepscreen.core.errors import StoreUnavailable
from deepscreen.store.banks.memory import InMemoryBankStore
from deepscreen.store.banks.ports import BankStore
from deepscreen.store.banks.sql import SqlBankStore
from deepscreen.store.banks.testing import BankStoreContract, make_bank, make_entry
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.events.testing import item_events
from deepscreen.store.sql.schema import SCHEMA_VERSION

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")

BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


class TestBankStore(BankStoreContract):
    @pytest.fixture(params=BACKENDS)
    def store(self, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BankStore]:
        store: BankStore
        if request.param == "memory":
            store = InMemoryBankStore()
        elif request.param == "sqlite-file":
            store = SqlBankStore(f"sqlite:///{tmp_path / 'banks.db'}")
        elif request.param == "sqlite-memory":
            store = SqlBankStore("sqlite:///:memory:")
        else:
            schema = request.getfixturevalue("postgres_schema")
            store = SqlBankStore(str(POSTGRES_URL), schema=schema)
        yield store
        store.close()


def test_version_1_database_without_bank_tables_gets_them(tmp_path: Path) -> None:
    """A database made before banks existed: opening it adds the tables, keeps the events."""
    path = tmp_path / "v1.db"
    with SqlEventStore(f"sqlite:///{path}") as events:
        events.record_item(item_events("a"))
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE bank_entries")
        conn.execute("DROP TABLE banks")
    conn.close()
    with SqlBankStore(f"sqlite:///{path}") as banks:
        banks.create_bank(make_bank())
        assert banks.add_entries("deepfakes", [make_entry("deepfakes", 1)]) == 1
    with SqlEventStore(f"sqlite:///{path}") as events:
        assert events.for_item("a") == item_events("a")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    conn.close()


def test_bank_store_refuses_another_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "banks.db"
    SqlBankStore(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(StoreUnavailable, match="schema version 99"):
        SqlBankStore(f"sqlite:///{path}")
