"""An unexpected exception is a 500 in the one error shape, with nothing of it leaked."""

from __future__ import annotations

import asyncio

from deepscreen.api.limits import BodyLimitMiddleware
from deepscreen.api.testing import api_harness
from deepscreen.core.access import Role
from deepscreen.store.events.memory import InMemoryEventStore


class BrokenStore(InMemoryEventStore):
    def decisions(self, **_: object) -> list:  # type: ignore[override]
        raise RuntimeError("secret internals at /srv/deepscreen/conn=postgres://u:pw@db")


def test_an_unexpected_error_is_a_bare_500() -> None:
    harness = api_harness(store=BrokenStore(), raise_server_exceptions=False)
    try:
        response = harness.client.get("/v1/decisions", headers=harness.auth(Role.ANALYST))
    finally:
        harness.close()
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "internal server error"}
    }
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_the_body_limit_stops_reading_a_stream_as_soon_as_it_passes() -> None:
    received: list[int] = []
    sent: list[dict] = []

    async def app(scope, receive, send) -> None:
        while True:
            message = await receive()
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read it all"})

    async def receive() -> dict:
        received.append(1)
        return {"type": "http.request", "body": b"x" * 100, "more_body": len(received) < 10}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(BodyLimitMiddleware(app, max_bytes=250)(scope, receive, send))
    assert len(received) == 3  # 300 bytes: over the limit, nothing more read
    assert sent[0]["status"] == 413
    assert b"request_too_large" in sent[1]["body"]
