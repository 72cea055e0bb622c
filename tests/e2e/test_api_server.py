"""``deepscreen serve`` as a real server process (two workers) on a SQLite file: it resumes an
ingest left pending before it started, scans, ingests, and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from deepscreen.api.testing import CHEAP_HASHER, png_bytes
from deepscreen.bootstrap import build, build_hosted
from deepscreen.core.access import Principal, Role
from deepscreen.core.clock import system_clock
from deepscreen.service.hosted import close_all
from deepscreen.service.ingest import submit_item
from deepscreen.service.keys import create_key
from deepscreen.settings import load_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate, what: str, tries: int = 600) -> None:
    """Poll until ``predicate()`` (bounded; no assertion on how long it took)."""
    for _ in range(tries):
        try:
            if predicate():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


@pytest.fixture
def prepared(tmp_path: Path) -> tuple[str, str, str]:
    """A database holding an API key and one acknowledged, unprocessed ingest job."""
    db = f"sqlite:///{tmp_path / 'server.db'}"
    settings = load_settings(db_url=db)
    services, stores = build(settings), build_hosted(settings)
    try:
        token = create_key(
            stores.keys,
            stores.audit,
            role=Role.ADMIN,
            name="e2e",
            actor="test",
            clock=system_clock,
            hasher=CHEAP_HASHER,
        ).token
        job = submit_item(
            services,
            stores,
            principal=Principal(token.split("_")[1], Role.ADMIN),
            idempotency_key="before-start",
            filename="left.png",
            attributes={},
            media=png_bytes((7, 7, 7)),
        ).job
    finally:
        close_all(services, stores)
    return db, token, job.job_id


@pytest.fixture
def server(prepared: tuple[str, str, str], tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    db, token, job_id = prepared
    port = _free_port()
    script = Path(sys.executable).with_name("deepscreen")
    command = [str(script), "serve", "--port", str(port), "--workers", "2", "--db", db]
    env = {**os.environ, "DEEPSCREEN_API__INGEST_POLL_S": "0.2"}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/status/live").status_code == 200, "the server")
        yield base, token, job_id
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert process.returncode == 0, output.decode(errors="replace")[-3000:]


@pytest.mark.slow
def test_served_api_end_to_end(server: tuple[str, str, str]) -> None:
    base, token, pending_job = server
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
        _wait(lambda: client.get(f"/v1/items/{pending_job}").json()["status"] == "done", "resume")
        ready = client.get("/status/ready").json()
        assert ready["status"] == "ready" and ready["checks"]["event_store"] == "ok"

        scanned = client.post("/v1/scan", files={"media": ("ai.png", png_bytes(), "image/png")})
        assert scanned.status_code == 200 and scanned.json()["decision"]["action"] == "label"

        submitted = client.post(
            "/v1/items",
            files={"media": ("b.png", png_bytes((1, 200, 3)), "image/png")},
            headers={"Idempotency-Key": "e2e-1"},
        )
        assert submitted.status_code == 202
        location = submitted.headers["location"]
        _wait(lambda: client.get(location).json()["status"] == "done", "the new job")
        decisions = client.get("/v1/decisions").json()["decisions"]
        assert len(decisions) == 3
        assert httpx.get(f"{base}/v1/decisions").status_code == 401
