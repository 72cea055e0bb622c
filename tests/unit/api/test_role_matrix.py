"""Walk the whole role × endpoint matrix: every endpoint of the table, with no key and with a
key of every role, gets 401, 403 or through exactly as ``ENDPOINT_ROLES`` says."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from httpx import Response

from deepscreen.api.access import ENDPOINT_ROLES, Endpoint, is_allowed
from deepscreen.api.testing import ApiHarness, TestClient, api_harness, png_bytes
from deepscreen.core.access import Role

Call = Callable[[TestClient, dict[str, str]], Response]

# One valid request per endpoint. An endpoint added to the table without a request here fails
# ``test_every_endpoint_has_a_request``.
REQUESTS: dict[Endpoint, Call] = {
    ("GET", "/status/live"): lambda c, h: c.get("/status/live", headers=h),
    ("GET", "/status/ready"): lambda c, h: c.get("/status/ready", headers=h),
    ("GET", "/openapi.json"): lambda c, h: c.get("/openapi.json", headers=h),
    ("POST", "/v1/scan"): lambda c, h: c.post(
        "/v1/scan", files={"media": ("a.png", png_bytes(), "image/png")}, headers=h
    ),
    ("POST", "/v1/items"): lambda c, h: c.post(
        "/v1/items",
        files={"media": ("a.png", png_bytes(), "image/png")},
        headers={**h, "Idempotency-Key": "matrix"},
    ),
    ("GET", "/v1/items/{item_id}"): lambda c, h: c.get("/v1/items/job_unknown", headers=h),
    ("POST", "/v1/views"): lambda c, h: c.post(
        "/v1/views", json={"observations": [{"item_id": "sha256:x", "views": 1}]}, headers=h
    ),
    ("GET", "/v1/decisions"): lambda c, h: c.get("/v1/decisions", headers=h),
    ("GET", "/v1/metrics"): lambda c, h: c.get("/v1/metrics?bootstrap=false", headers=h),
    ("GET", "/v1/review/queues"): lambda c, h: c.get("/v1/review/queues", headers=h),
    ("POST", "/v1/review/claim"): lambda c, h: c.post("/v1/review/claim", json={}, headers=h),
    ("POST", "/v1/review/tasks/{task_id}/renew"): lambda c, h: c.post(
        "/v1/review/tasks/review:unknown/renew", headers=h
    ),
    ("POST", "/v1/review/tasks/{task_id}/release"): lambda c, h: c.post(
        "/v1/review/tasks/review:unknown/release", headers=h
    ),
    ("POST", "/v1/review/tasks/{task_id}/decision"): lambda c, h: c.post(
        "/v1/review/tasks/review:unknown/decision",
        json={"verdict": "violating", "reason_code": "other"},
        headers=h,
    ),
    ("POST", "/v1/appeals"): lambda c, h: c.post(
        "/v1/appeals", json={"item_id": "sha256:unknown"}, headers=h
    ),
    ("POST", "/v1/appeals/{task_id}/resolution"): lambda c, h: c.post(
        "/v1/appeals/appeal:unknown/resolution",
        json={"outcome": "upheld", "reason_code": "other"},
        headers=h,
    ),
    ("POST", "/v1/notices"): lambda c, h: c.post(
        "/v1/notices",
        json={"type": "other", "sha256": "0" * 64, "statement": "take it down"},
        headers=h,
    ),
    ("GET", "/v1/notices/{notice_id}"): lambda c, h: c.get("/v1/notices/ntc-unknown", headers=h),
    ("GET", "/v1/actions"): lambda c, h: c.get("/v1/actions", headers=h),
}


@pytest.fixture(scope="module")
def harness() -> Iterator[ApiHarness]:
    harness = api_harness()
    yield harness
    harness.close()


def test_every_endpoint_has_a_request() -> None:
    assert set(REQUESTS) == set(ENDPOINT_ROLES)


@pytest.mark.parametrize("endpoint", sorted(ENDPOINT_ROLES))
@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: "no-key" if r is None else r.value)
def test_role_matrix(harness: ApiHarness, endpoint: Endpoint, role: Role | None) -> None:
    headers = {} if role is None else harness.auth(role)
    status = REQUESTS[endpoint](harness.client, headers).status_code
    public = ENDPOINT_ROLES[endpoint] is None
    if public:
        assert status not in (401, 403)
    elif role is None:
        assert status == 401
    elif is_allowed(role, endpoint):
        assert status not in (401, 403), f"{role} should reach {endpoint}"
    else:
        assert status == 403, f"{role} must not reach {endpoint}"
