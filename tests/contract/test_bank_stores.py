"""The BankStore contract over every adapter: memory, SQLite (file, memory), PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from deepscreen.store.banks_memory import InMemoryBankStore
from deepscreen.store.banks_ports import BankStore
from deepscreen.store.banks_sql import SqlBankStore
from deepscreen.store.banks_testing import BankStoreContract

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")

BACKENDS = [
    "memory",
    "sqlite-file",
    "sqlite-memory",
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema name, dropped with everything in it afterwards."""
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run the PostgreSQL contract")
    name = f"test_{uuid.uuid4().hex[:12]}"
    yield name
    engine = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


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
