"""The streaming tests run against a real NATS JetStream server (``DEEPSCREEN_TEST_NATS_URL``,
default nats://127.0.0.1:4222): skipped when none answers, a failure under CI. Every test gets
fresh stream names and deletes its streams at the end."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import nats
import pytest
from nats.js.api import RawStreamMsg
from nats.js.errors import NotFoundError

NATS_URL = os.environ.get("DEEPSCREEN_TEST_NATS_URL", "nats://127.0.0.1:4222")


def nats_address(url: str = NATS_URL) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 4222


def accepts_connections(url: str = NATS_URL, timeout_s: float = 1.0) -> bool:
    try:
        with socket.create_connection(nats_address(url), timeout=timeout_s):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def nats_url() -> str:
    if not accepts_connections():
        reason = f"no NATS server at {NATS_URL} (set DEEPSCREEN_TEST_NATS_URL; run nats-server -js)"
        if os.environ.get("CI"):  # CI starts nats-server: a missing broker must fail
            pytest.fail(reason)
        pytest.skip(reason)
    return NATS_URL


async def delete_streams(url: str, names: list[str]) -> None:
    nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = nc.jetstream()
        for name in names:
            for stream in (name, f"{name}-dead", f"{name}-out"):
                try:
                    await js.delete_stream(stream)
                except NotFoundError:
                    pass
    finally:
        await nc.close()


@pytest.fixture
def new_stream(nats_url: str) -> Iterator[Callable[[], str]]:
    """Makes unique stream names; the streams (and their -dead, -out streams) are deleted."""
    names: list[str] = []

    def make() -> str:
        names.append(f"t{uuid.uuid4().hex[:12]}")
        return names[-1]

    yield make
    if names and accepts_connections(nats_url):
        asyncio.run(delete_streams(nats_url, names))


@pytest.fixture
def read_stream(nats_url: str) -> Callable[[str], object]:
    """``await read_stream(name)``: every message the stream holds, in order."""
    return lambda stream: _read_stream(nats_url, stream)


async def _read_stream(url: str, stream: str) -> list[RawStreamMsg]:
    """Every message a stream holds, in order."""
    nc = await nats.connect(url, connect_timeout=5)
    try:
        js = nc.jetstream()
        state = (await js.stream_info(stream)).state
        if not state.messages:
            return []
        return [await js.get_msg(stream, seq) for seq in range(state.first_seq, state.last_seq + 1)]
    finally:
        await nc.close()
