"""Property-based requests generated from the app's own OpenAPI document (schemathesis): with
an admin key, no generated request — valid or not — gets a 5xx, and every error response has
the one error shape."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from deepscreen.api.testing import api_harness
from deepscreen.core.access import Role

HARNESS = api_harness()
ADMIN = HARNESS.auth(Role.ADMIN)
schema = schemathesis.openapi.from_asgi("/openapi.json", HARNESS.app)


@pytest.fixture(scope="module", autouse=True)
def _close_harness():
    yield
    HARNESS.close()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers=ADMIN)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"])
