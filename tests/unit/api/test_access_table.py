"""The endpoint → roles table: complete for every operation of the app, admin everywhere."""

from __future__ import annotations

import pytest
from fastapi import APIRouter

from deepscreen.api.access import ENDPOINT_ROLES, is_allowed, missing_endpoints
from deepscreen.api.app import endpoints
from deepscreen.api.testing import api_harness
from deepscreen.core.access import Role


@pytest.fixture(scope="module")
def app_endpoints() -> list[tuple[str, str]]:
    harness = api_harness()
    try:
        return endpoints(harness.app)
    finally:
        harness.close()


def test_every_endpoint_of_the_app_has_a_line_in_the_table(app_endpoints) -> None:
    missing = missing_endpoints(app_endpoints)
    assert missing == [], (
        f"add these to deepscreen.api.access.ENDPOINT_ROLES with the roles allowed: {missing}"
    )


def test_the_table_names_no_endpoint_the_app_lacks(app_endpoints) -> None:
    assert set(ENDPOINT_ROLES) - set(app_endpoints) == set()


def test_admin_may_call_every_endpoint() -> None:
    assert all(is_allowed(Role.ADMIN, e) for e in ENDPOINT_ROLES)


@pytest.mark.parametrize(
    ("role", "endpoint", "allowed"),
    [
        (Role.INGEST, ("POST", "/v1/scan"), True),
        (Role.INGEST, ("POST", "/v1/items"), True),
        (Role.INGEST, ("POST", "/v1/views"), True),
        (Role.INGEST, ("GET", "/v1/decisions"), False),
        (Role.INGEST, ("GET", "/v1/metrics"), False),
        (Role.REVIEWER, ("GET", "/v1/items/{item_id}"), True),
        (Role.REVIEWER, ("GET", "/v1/decisions"), True),
        (Role.REVIEWER, ("POST", "/v1/scan"), False),
        (Role.REVIEWER, ("GET", "/v1/metrics"), False),
        (Role.ANALYST, ("GET", "/v1/metrics"), True),
        (Role.ANALYST, ("GET", "/v1/decisions"), True),
        (Role.ANALYST, ("POST", "/v1/views"), False),
        (Role.ANALYST, ("GET", "/status/ready"), True),
        (Role.INGEST, ("GET", "/v1/actions"), True),
        (Role.ANALYST, ("GET", "/v1/actions"), True),
        (Role.REVIEWER, ("GET", "/v1/actions"), False),
    ],
)
def test_roles_reach_their_endpoints_only(role: Role, endpoint, allowed: bool) -> None:
    assert is_allowed(role, endpoint) is allowed


def test_an_unlisted_endpoint_is_admin_only() -> None:
    assert not is_allowed(Role.ANALYST, ("DELETE", "/v1/everything"))
    assert is_allowed(Role.ADMIN, ("DELETE", "/v1/everything"))


def test_an_app_with_an_unlisted_route_is_refused_at_build() -> None:
    harness = api_harness()
    extra = APIRouter()

    @extra.get("/v1/unlisted")
    def unlisted() -> dict[str, str]:
        return {}

    harness.app.include_router(extra)
    harness.app.openapi_schema = None
    try:
        assert missing_endpoints(endpoints(harness.app)) == [("GET", "/v1/unlisted")]
        # and at run time it fails closed: only an admin key gets through
        response = harness.client.get("/v1/unlisted", headers=harness.auth(Role.ANALYST))
        assert response.status_code == 403
    finally:
        harness.close()
