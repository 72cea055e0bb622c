"""Property-based requests generated from the app's own OpenAPI document (schemathesis): with
an admin key, no generated request — valid or not — to any operation gets a 5xx, and every
error response has the one error shape.

The run covers every operation of the document, over the in-memory stores, a SQLite file and
PostgreSQL (when DEEPSCREEN_TEST_POSTGRES_URL is set): some 500s only a real database shows
(an offset SQLite cannot hold). URL fetching is on, with a resolver that answers only refused
addresses, so the URL branch of ``POST /v1/scan`` runs without touching the network. Runs are
deterministic (``derandomize``, no example database).
"""

from __future__ import annotations

import ipaddress
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from deepscreen.adapters.url_fetch import UrlFetcher
from deepscreen.api.serving import openapi_app
from deepscreen.api.testing import ApiHarness, api_harness
from deepscreen.core.access import Role
from deepscreen.service.hosted import HostedStores
from deepscreen.settings import Settings
from deepscreen.store.access.sql import SqlAuditLog, SqlKeyStore, SqlSessionRevocations
from deepscreen.store.events.sql import SqlEventStore
from deepscreen.store.ingest.sql import SqlIngestJobStore
from deepscreen.store.media.sql import SqlReviewerPreferences
from deepscreen.store.sql.database import SqlDatabase

POSTGRES_URL = os.environ.get("DEEPSCREEN_TEST_POSTGRES_URL")
TEST_NET = ipaddress.ip_address("192.0.2.1")  # documentation: never fetched


def _offline_fetcher() -> UrlFetcher:
    return UrlFetcher(
        max_bytes=1_000_000, timeout_s=5, max_redirects=0, resolve=lambda host, port: [TEST_NET]
    )


def _sql_harness(url: str, schema: str | None = None) -> ApiHarness:
    database = SqlDatabase(url, schema=schema)
    stores = HostedStores(
        SqlKeyStore(database),
        SqlAuditLog(database),
        SqlIngestJobStore(database),
        SqlSessionRevocations(database),
        SqlReviewerPreferences(database),
    )
    return api_harness(
        store=SqlEventStore(url, schema=schema), stores=stores, fetcher=_offline_fetcher()
    )


@pytest.fixture(
    scope="module",
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiHarness]:
    if request.param == "memory":
        made = api_harness(settings=Settings(db_url="memory://"), fetcher=_offline_fetcher())
        yield made
        made.close()
        return
    if request.param == "sqlite":
        made = _sql_harness(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'api.db'}")
        yield made
        made.close()
        return
    if not POSTGRES_URL:
        pytest.skip("set DEEPSCREEN_TEST_POSTGRES_URL to run schemathesis on PostgreSQL")
    name = f"test_{uuid.uuid4().hex[:12]}"
    made = _sql_harness(POSTGRES_URL, name)
    yield made
    made.close()
    engine = sa.create_engine(sa.make_url(POSTGRES_URL).set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    engine.dispose()


# The document does not depend on settings or data (``openapi_app``); each case is sent to the
# app of the backend under test (``case.call(app=...)``).
schema = schemathesis.openapi.from_asgi("/openapi.json", openapi_app())


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_generated_request_gets_a_server_error(
    case: schemathesis.Case, harness: ApiHarness
) -> None:
    response = case.call(app=harness.app, headers=harness.auth(Role.ADMIN))
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])


def test_every_operation_is_covered() -> None:
    """The run above is over the whole document: schemathesis sees every operation of it."""
    seen = {(op.method.upper(), op.path) for op in _operations(schema)}
    document = openapi_app().openapi()["paths"]
    assert seen == {(m.upper(), path) for path, item in document.items() for m in item}


def _operations(loaded: Any) -> list[Any]:
    return [result.ok() for result in loaded.get_all_operations()]
