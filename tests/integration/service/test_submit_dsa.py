"""Submitting batches to the Transparency Database, over httpx.MockTransport (no network)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from deepscreen.adapters.dsa_submission import submit_batch
from deepscreen.core.errors import BackendError, ConfigError, InvalidInput

BASE = "https://sandbox.example.eu"
STATEMENTS = [{"puid": f"p{i}", "decision_facts": "x"} for i in range(3)]


def client(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    return httpx.Client(transport=httpx.MockTransport(handler))


def submit(
    answers: list[httpx.Response],
    seen: list[httpx.Request],
    sleep: Callable[[float], None] = lambda s: None,
):
    with client(answers, seen) as c:
        return submit_batch(c, STATEMENTS, base_url=BASE, token="t0k", attempts=3, sleep=sleep)


def test_created_when_database_answers_201() -> None:
    seen: list[httpx.Request] = []
    result = submit([httpx.Response(201, json={"statements": []})], seen)
    assert result.submitted == ("p0", "p1", "p2") and result.already_present == ()
    (request,) = seen
    assert str(request.url) == f"{BASE}/api/v1/statements"
    assert request.headers["Authorization"] == "Bearer t0k"
    assert [s["puid"] for s in json.loads(request.content)["statements"]] == ["p0", "p1", "p2"]


def test_retry_honours_retry_after_when_rate_limited() -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []
    answers = [
        httpx.Response(429, headers={"Retry-After": "7"}, text="Limit Reached"),
        httpx.Response(503),
        httpx.Response(201, json={"statements": []}),
    ]
    result = submit(answers, seen, sleep=waits.append)
    assert len(seen) == 3 and waits[0] == 7.0 and len(waits) == 2
    assert result.submitted == ("p0", "p1", "p2")


def test_existing_puid_counts_as_done_when_batch_conflicts() -> None:
    seen: list[httpx.Request] = []
    conflict = {
        "message": "The given data was invalid.",
        "errors": {"statement_1": {"puid": ["The identifier given is not unique."]}},
    }
    answers = [httpx.Response(422, json=conflict), httpx.Response(201, json={"statements": []})]
    result = submit(answers, seen)
    assert result.submitted == ("p0", "p2") and result.already_present == ("p1",)
    assert [s["puid"] for s in json.loads(seen[1].content)["statements"]] == ["p0", "p2"]


def test_other_validation_errors_when_refused_raise_invalid_input() -> None:
    body = {"errors": {"statement_0": {"category": ["bad"]}, "statement_1": {"puid": ["dup"]}}}
    with pytest.raises(InvalidInput, match="422"):
        submit([httpx.Response(422, json=body)], [])


def test_backend_error_when_server_keeps_failing() -> None:
    with pytest.raises(BackendError, match="500"):
        submit([httpx.Response(500) for _ in range(3)], [])


def test_config_error_when_token_refused() -> None:
    with pytest.raises(ConfigError, match="token"):
        submit([httpx.Response(401)], [])
