"""The reviewer UI's route → roles table: complete for every route of the UI app, and walked
role by role — no session, a session of every role — against every route."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter
from httpx import Response

from deepscreen.api.testing import ApiHarness, TestClient, api_harness
from deepscreen.api.web.access import (
    WEB_ENDPOINT_ROLES,
    check_every_route_listed,
    may_use,
    missing_routes,
    route_endpoints,
)
from deepscreen.api.web.session import COOKIE
from deepscreen.api.web.testing import mint_session
from deepscreen.core.access import Principal, Role
from deepscreen.service.keys import parse_token
from deepscreen.settings import Settings

Call = Callable[[TestClient, str, ApiHarness], Response]
TASK = "/ui/tasks/review:unknown"

# One request per route; ``csrf`` is the session's token. A route added to the table without a
# request here fails ``test_every_route_has_a_request``.
REQUESTS: dict[tuple[str, str], Call] = {
    ("GET", "/ui/static/{name}"): lambda c, csrf, h: c.get("/ui/static/ui.css"),
    ("GET", "/ui/login"): lambda c, csrf, h: c.get("/ui/login"),
    ("POST", "/ui/login"): lambda c, csrf, h: c.post(
        "/ui/login", data={"csrf_token": csrf, "api_key": h.tokens[Role.REVIEWER]}
    ),
    ("POST", "/ui/logout"): lambda c, csrf, h: c.post("/ui/logout", data={"csrf_token": csrf}),
    ("GET", "/ui/"): lambda c, csrf, h: c.get("/ui/"),
    ("GET", "/ui/queue"): lambda c, csrf, h: c.get("/ui/queue"),
    ("GET", "/ui/appeals"): lambda c, csrf, h: c.get("/ui/appeals"),
    ("POST", "/ui/claim"): lambda c, csrf, h: c.post("/ui/claim", data={"csrf_token": csrf}),
    ("GET", "/ui/tasks/{task_id}"): lambda c, csrf, h: c.get(TASK),
    ("POST", "/ui/tasks/{task_id}/renew"): lambda c, csrf, h: c.post(
        f"{TASK}/renew", headers={"X-CSRF-Token": csrf, "Accept": "application/json"}
    ),
    ("POST", "/ui/tasks/{task_id}/release"): lambda c, csrf, h: c.post(
        f"{TASK}/release", data={"csrf_token": csrf}
    ),
    ("POST", "/ui/tasks/{task_id}/decide"): lambda c, csrf, h: c.post(
        f"{TASK}/decide",
        data={"csrf_token": csrf, "verdict": "violating", "reason_code": "manipulated_media"},
    ),
    ("POST", "/ui/tasks/{task_id}/resolve"): lambda c, csrf, h: c.post(
        f"{TASK}/resolve",
        data={"csrf_token": csrf, "outcome": "upheld", "reason_code": "manipulated_media"},
    ),
    ("GET", "/ui/tasks/{task_id}/media"): lambda c, csrf, h: c.get(f"{TASK}/media"),
    ("GET", "/ui/tasks/{task_id}/media/frames/{millis}"): lambda c, csrf, h: c.get(
        f"{TASK}/media/frames/1000"
    ),
    ("GET", "/ui/tasks/{task_id}/thumbnail"): lambda c, csrf, h: c.get(f"{TASK}/thumbnail"),
    ("POST", "/ui/preferences/wellness"): lambda c, csrf, h: c.post(
        "/ui/preferences/wellness",
        data={"csrf_token": csrf, "blur": "default", "greyscale": "default"},
    ),
    ("GET", "/ui/dashboard"): lambda c, csrf, h: c.get("/ui/dashboard"),
    ("GET", "/ui/compliance"): lambda c, csrf, h: c.get("/ui/compliance"),
}


@pytest.fixture(scope="module")
def harness() -> Iterator[ApiHarness]:
    harness = api_harness(settings=Settings(db_url="memory://", review={"gold_share": 0.0}))
    yield harness
    harness.close()


def _signed_in_as(harness: ApiHarness, role: Role | None) -> tuple[TestClient, str]:
    """A client holding a session of ``role`` (None: the anonymous pre-session)."""
    principal = None
    if role is not None:
        key_id, _ = parse_token(harness.tokens[role]) or ("", "")
        principal = Principal(key_id, role)
    cookie, csrf = mint_session(harness.app, principal)
    client = TestClient(harness.app, follow_redirects=False)
    client.cookies.set(COOKIE, cookie, path="/ui")
    return client, csrf


def test_every_route_of_the_ui_has_a_line_in_the_table(harness: ApiHarness) -> None:
    routes = route_endpoints(harness.app.state.web_ui)
    assert missing_routes(routes) == []
    assert set(WEB_ENDPOINT_ROLES) == set(routes)


def test_every_route_has_a_request() -> None:
    assert set(REQUESTS) == set(WEB_ENDPOINT_ROLES)


def test_admin_may_use_every_route_and_analysts_only_read() -> None:
    assert all(may_use(Role.ADMIN, e) for e in WEB_ENDPOINT_ROLES)
    analyst = {e for e in WEB_ENDPOINT_ROLES if may_use(Role.ANALYST, e)}
    assert {e for e in analyst if WEB_ENDPOINT_ROLES[e] is not None} == {
        ("GET", "/ui/"),
        ("GET", "/ui/dashboard"),
        ("GET", "/ui/compliance"),
        ("POST", "/ui/logout"),
    }
    assert not any(may_use(Role.INGEST, e) for e in WEB_ENDPOINT_ROLES if WEB_ENDPOINT_ROLES[e])


def test_an_unlisted_route_is_refused_at_build() -> None:
    harness = api_harness()
    ui = harness.app.state.web_ui
    extra = APIRouter()

    @extra.get("/ui/unlisted")
    def unlisted() -> dict[str, str]:
        return {}

    ui.include_router(extra)
    ui.openapi_schema = None
    try:
        with pytest.raises(RuntimeError, match=r"\('GET', '/ui/unlisted'\)"):
            check_every_route_listed(ui)
    finally:
        harness.close()


@pytest.mark.parametrize("endpoint", sorted(WEB_ENDPOINT_ROLES))
@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: "no-login" if r is None else r.value)
def test_role_matrix(harness: ApiHarness, endpoint: tuple[str, str], role: Role | None) -> None:
    client, csrf = _signed_in_as(harness, role)
    with client:
        response = REQUESTS[endpoint](client, csrf, harness)
    location = response.headers.get("location", "")
    # a redirect to the login form, but not signing out's own (``?msg=signed_out``)
    to_login = location.startswith("/ui/login") and "signed_out" not in location
    if WEB_ENDPOINT_ROLES[endpoint] is None:
        assert response.status_code not in (401, 403) and not to_login
    elif role is None:
        assert to_login or (response.status_code == 401 and endpoint[1].endswith("/renew"))
    elif may_use(role, endpoint):
        assert response.status_code not in (401, 403) and not to_login, response.text[:300]
    else:
        assert response.status_code == 403, f"{role} must not use {endpoint}"
