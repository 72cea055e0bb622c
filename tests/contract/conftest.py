"""Fixtures shared by the store contracts."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")


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
