"""Every error path answers with one JSON shape and the right status, and leaks nothing."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role
from deepscreen.settings import ApiSettings, MediaSettings, Settings

ADMIN, INGEST, ANALYST = Role.ADMIN, Role.INGEST, Role.ANALYST


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code, body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return dict(body["error"])


def test_authentication_errors(harness: ApiHarness) -> None:
    c = harness.client
    missing = c.get("/v1/decisions")
    assert_error(missing, 401, "unauthenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    assert_error(
        c.get("/v1/decisions", headers={"Authorization": "Basic x"}), 401, "unauthenticated"
    )
    wrong = harness.tokens[ANALYST][:-3] + "zzz"
    assert_error(
        c.get("/v1/decisions", headers={"Authorization": f"Bearer {wrong}"}), 401, "unauthenticated"
    )
    assert_error(c.get("/v1/metrics", headers=harness.auth(INGEST)), 403, "permission_denied")


def test_not_found_and_method_not_allowed(harness: ApiHarness) -> None:
    admin = harness.auth(ADMIN)
    assert_error(harness.client.get("/v1/items/sha256:abc", headers=admin), 404, "not_found")
    assert_error(harness.client.get("/v1/items/job_nope", headers=admin), 404, "not_found")
    assert_error(harness.client.get("/v1/nothing-here", headers=admin), 404, "not_found")
    assert_error(harness.client.get("/v1/scan", headers=admin), 405, "method_not_allowed")
    # without a key, unknown paths are not revealed
    assert_error(harness.client.get("/v1/nothing-here"), 401, "unauthenticated")


def test_validation_errors(harness: ApiHarness) -> None:
    c, analyst = harness.client, harness.auth(ANALYST)
    error = assert_error(c.get("/v1/decisions?limit=0", headers=analyst), 422, "validation_error")
    assert "limit" in error["message"]
    assert_error(c.get("/v1/decisions?action=delete", headers=analyst), 422, "validation_error")
    assert_error(
        c.post("/v1/views", json={"observations": []}, headers=harness.auth(INGEST)),
        422,
        "validation_error",
    )
    bad_attributes = c.post(
        "/v1/scan",
        files={"media": ("a.png", png_bytes(), "image/png")},
        data={"attributes": json.dumps({"nested": {"no": 1}})},
        headers=harness.auth(INGEST),
    )
    assert_error(bad_attributes, 422, "invalid_input")
    neither = c.post("/v1/scan", data={"attributes": "{}"}, headers=harness.auth(INGEST))
    assert_error(neither, 422, "invalid_input")


def test_media_errors(harness: ApiHarness) -> None:
    def scan(data: bytes):
        files = {"media": ("f.bin", data, "application/octet-stream")}
        return harness.client.post("/v1/scan", files=files, headers=harness.auth(INGEST))

    assert_error(scan(b"just some text, not an image"), 415, "unsupported_media")
    assert_error(scan(png_bytes()[:60]), 422, "corrupt_media")
    assert_error(scan(b""), 422, "corrupt_media")
    submitted = harness.client.post(
        "/v1/items",
        files={"media": ("notes.txt", b"plain text", "text/plain")},
        headers={**harness.auth(INGEST), "Idempotency-Key": "k"},
    )
    assert_error(submitted, 415, "unsupported_media")


def test_malformed_multipart_is_a_bad_request(harness: ApiHarness) -> None:
    response = harness.client.post(
        "/v1/scan",
        content=b"--x\r\ngarbage",
        headers={**harness.auth(INGEST), "content-type": "multipart/form-data; boundary=y"},
    )
    assert_error(response, 400, "bad_request")


def test_conflict(harness: ApiHarness) -> None:
    def submit(data: bytes):
        return harness.client.post(
            "/v1/items",
            files={"media": ("a.png", data, "image/png")},
            headers={**harness.auth(INGEST), "Idempotency-Key": "same"},
        )

    submit(png_bytes())
    assert_error(submit(png_bytes((3, 3, 3))), 409, "idempotency_conflict")


def test_size_limits(make_harness: Callable[..., ApiHarness]) -> None:
    settings = Settings(
        db_url="memory://",
        api=ApiSettings(max_request_bytes=20_000),
        media=MediaSettings(max_bytes=1000),
    )
    harness = make_harness(settings=settings)
    headers = harness.auth(INGEST)
    declared = harness.client.post(
        "/v1/scan", content=b"x" * 30_000, headers={**headers, "content-type": "image/png"}
    )
    assert_error(declared, 413, "request_too_large")

    def chunks():
        for _ in range(10):
            yield b"x" * 5000

    streamed = harness.client.post(
        "/v1/scan",
        content=chunks(),
        headers={**headers, "content-type": "multipart/form-data; boundary=x"},
    )
    assert_error(streamed, 413, "request_too_large")
    too_big_media = harness.client.post(
        "/v1/scan",
        files={"media": ("a.png", png_bytes() + b"\0" * 2000, "image/png")},
        headers=headers,
    )
    assert_error(too_big_media, 413, "media_too_large")
    # an unauthenticated oversize request is refused for its size before anything else
    assert_error(harness.client.post("/v1/scan", content=b"x" * 30_000), 413, "request_too_large")


def test_backend_down_is_503_without_details(harness: ApiHarness) -> None:
    harness.services.store.close()
    error = assert_error(
        harness.client.get("/v1/decisions", headers=harness.auth(ANALYST)), 503, "store_unavailable"
    )
    assert error["message"] == "a backend is unavailable; retry later"
    assert "sqlite" not in error["message"] and "postgres" not in error["message"]


@pytest.mark.parametrize("url", ["http://127.0.0.1/a.png", "http://10.0.0.1/a.png"])
def test_url_fetching_is_off_by_default(harness: ApiHarness, url: str) -> None:
    response = harness.client.post("/v1/scan", data={"url": url}, headers=harness.auth(INGEST))
    error = assert_error(response, 422, "url_refused")
    assert "disabled" in error["message"]
