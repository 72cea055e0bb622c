"""Submit statement-of-reasons batches to the EU Transparency Database (``POST …/statements``):
429 and 5xx retried with tenacity (honouring ``Retry-After``); idempotent, since puids the
database already holds count as submitted and the rest of the batch is sent again without them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from deepscreen.core.errors import BackendError, ConfigError, InvalidInput

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_S = 60.0


@dataclass(frozen=True)
class SubmitResult:
    submitted: tuple[str, ...]
    already_present: tuple[str, ...]


def submit_batch(
    client: httpx.Client,
    statements: Sequence[dict[str, Any]],
    *,
    base_url: str,
    token: str,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> SubmitResult:
    """Submit one batch; raise ``BackendError`` if it cannot be stored, ``InvalidInput`` when
    the database rejects statements for anything but an existing puid."""
    pending = list(statements)
    present: list[str] = []
    while pending:
        response = _post(client, pending, base_url, token, attempts, sleep)
        if response.status_code == 201:
            return SubmitResult(tuple(s["puid"] for s in pending), tuple(present))
        existing = _existing_puids(response, pending)
        if not existing:
            raise _failure(response)
        present.extend(existing)
        pending = [s for s in pending if s["puid"] not in existing]
    return SubmitResult((), tuple(present))


def _post(
    client: httpx.Client,
    statements: list[dict[str, Any]],
    base_url: str,
    token: str,
    attempts: int,
    sleep: Callable[[float], None],
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    url = f"{base_url.rstrip('/')}/api/v1/statements"
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=_wait,
        retry=retry_if_result(lambda r: r.status_code in RETRYABLE_STATUSES),
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        sleep=sleep,
    )
    try:
        response: httpx.Response = retrying(
            client.post, url, json={"statements": statements}, headers=headers
        )
    except httpx.HTTPError as exc:
        raise BackendError(f"cannot reach the Transparency Database at {url!r}: {exc}") from exc
    return response


def _wait(state: RetryCallState) -> float:
    """``Retry-After`` seconds when the server gives them, else exponential back-off."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        header = outcome.result().headers.get("Retry-After", "")
        if header.strip().isdigit():
            return min(float(header), MAX_WAIT_S)
    return float(wait_exponential(multiplier=0.5, max=MAX_WAIT_S)(state))


def _existing_puids(response: httpx.Response, pending: list[dict[str, Any]]) -> set[str]:
    """The puids the database already holds, when every error of a 422 is a puid conflict."""
    if response.status_code != 422:
        return set()
    try:
        errors = response.json().get("errors", {})
    except ValueError:
        return set()
    if set(errors) == {"puid"}:  # a single statement's answer
        return {pending[0]["puid"]} if len(pending) == 1 else set()
    found: set[str] = set()
    for key, fields in errors.items():
        index = key.removeprefix("statement_")
        if not (index.isdigit() and int(index) < len(pending) and set(fields) == {"puid"}):
            return set()
        found.add(pending[int(index)]["puid"])
    return found


def _failure(response: httpx.Response) -> Exception:
    body = response.text[:500]
    if response.status_code in (401, 403):
        return ConfigError(f"Transparency Database refused the token ({response.status_code})")
    if response.status_code in RETRYABLE_STATUSES:
        return BackendError(f"Transparency Database answered {response.status_code}: {body}")
    return InvalidInput(f"Transparency Database refused the batch ({response.status_code}): {body}")
