"""Every hand-off between the event loop and a threadpool thread costs a wake-up on each side:
a scan upload makes one, a key verified within the cache's ttl none (argon2 only on a miss),
and the dependencies every route shares none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest

from deepscreen.api.testing import ApiHarness, api_harness, png_bytes
from deepscreen.core.access import Role


@pytest.fixture
def harness() -> Iterator[ApiHarness]:
    made = api_harness()
    yield made
    made.close()


@pytest.fixture
def handoffs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions the app runs on threadpool threads, in order."""
    calls: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        inner = getattr(func, "func", func)  # run_in_threadpool passes a functools.partial
        calls.append(getattr(inner, "__name__", repr(inner)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return calls


def _scan(harness: ApiHarness, color: tuple[int, int, int]) -> None:
    response = harness.client.post(
        "/v1/scan",
        files={"media": ("a.png", png_bytes(color), "image/png")},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text


def test_a_scan_upload_makes_one_handoff_once_its_key_is_verified(
    harness: ApiHarness, handoffs: list[str]
) -> None:
    _scan(harness, (1, 2, 3))
    assert handoffs == ["authenticate", "scanned_upload"]  # argon2 on the key's first use
    handoffs.clear()
    _scan(harness, (4, 5, 6))
    assert handoffs == ["scanned_upload"]  # read, scan, record and explain in one thread call


def test_shared_dependencies_and_cached_keys_make_no_handoff(
    harness: ApiHarness, handoffs: list[str]
) -> None:
    headers = harness.auth(Role.ANALYST)
    assert harness.client.get("/v1/decisions", headers=headers).status_code == 200
    assert "authenticate" in handoffs
    handoffs.clear()
    assert harness.client.get("/v1/decisions", headers=headers).status_code == 200
    assert handoffs  # the sync endpoint itself (FastAPI's own)
    assert not {"authenticate", "get_context", "get_principal"} & set(handoffs)
