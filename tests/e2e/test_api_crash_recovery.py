"""Kill ``deepscreen serve`` (SIGKILL: no shutdown, no flush) while clients are ingesting, start
it again, and show that every acknowledged ingest (a 202) ends as exactly one stored item, and
that retrying an acknowledged Idempotency-Key after the restart returns the same job."""

from __future__ import annotations

import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from deepscreen.api.testing import CHEAP_HASHER
from deepscreen.bootstrap import build_hosted
from deepscreen.core.access import Role
from deepscreen.core.clock import system_clock
from deepscreen.core.events import ItemIngested
from deepscreen.service.keys import create_key
from deepscreen.settings import load_settings
from deepscreen.store.events.sql import SqlEventStore

ITEMS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png(index: int) -> bytes:
    pixels = np.random.default_rng(index).integers(0, 256, (384, 384, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def start(db: str, port: int, cwd: Path) -> subprocess.Popen[bytes]:
    script = Path(sys.executable).with_name("deepscreen")
    # A job the killed process was scanning stays leased to it until the lease runs out
    # (another worker process might still hold it): a short lease keeps the test short.
    env = {
        **os.environ,
        "DEEPSCREEN_API__INGEST_POLL_S": "0.2",
        "DEEPSCREEN_API__INGEST_LEASE_S": "2",
    }
    process = subprocess.Popen(
        [str(script), "serve", "--port", str(port), "--db", db],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(600):  # bounded wait, no timing asserted
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/status/ready").status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server never became ready")


def submit(base: str, token: str, index: int) -> httpx.Response:
    return httpx.post(
        f"{base}/v1/items",
        files={"media": (f"item{index}.png", png(index), "image/png")},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"crash-{index}"},
        timeout=30,
    )


ATTEMPTS = 6  # a kill can land after the worker caught up; then the scenario is run again


@pytest.mark.slow
def test_every_acknowledged_ingest_is_stored_exactly_once_after_a_kill(tmp_path: Path) -> None:
    pending_at_kill = []
    for attempt in range(ATTEMPTS):
        pending = kill_restart_and_check(tmp_path / f"attempt{attempt}")
        pending_at_kill.append(pending)
        if pending > 0:
            break
    assert pending_at_kill[-1] > 0, f"never killed mid-ingest: pending {pending_at_kill}"


def kill_restart_and_check(workdir: Path) -> int:
    """One kill → restart → check; returns how many acknowledged jobs were still unprocessed
    when the server was killed (the exactly-once checks hold whatever it is)."""
    workdir.mkdir()
    tmp_path = workdir
    db = f"sqlite:///{tmp_path / 'crash.db'}"
    stores = build_hosted(load_settings(db_url=db))
    try:
        token = create_key(
            stores.keys,
            stores.audit,
            role=Role.INGEST,
            name="crash test",
            actor="test",
            clock=system_clock,
            hasher=CHEAP_HASHER,
        ).token
    finally:
        stores.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(db, port, tmp_path)

    acknowledged: dict[int, str] = {}  # index → job id
    lock = threading.Lock()
    killed = threading.Event()

    def client(indices: range) -> None:
        for index in indices:
            if killed.is_set():
                return
            try:
                response = submit(base, token, index)
            except httpx.TransportError:
                return  # the server died under this request: not acknowledged
            if response.status_code == 202 or response.status_code == 200:
                with lock:
                    acknowledged[index] = response.json()["job_id"]

    threads = [threading.Thread(target=client, args=(range(i, ITEMS, 3),)) for i in range(3)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < ITEMS // 3 and any(t.is_alive() for t in threads):
        time.sleep(0.01)  # kill mid-stream, with jobs still being submitted and scanned
    os.killpg(process.pid, signal.SIGKILL)
    killed.set()
    process.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=60)
    assert acknowledged, "some ingests were acknowledged before the kill"
    left = sqlite3.connect(tmp_path / "crash.db")
    pending = left.execute("SELECT count(*) FROM ingest_jobs WHERE status <> 'done'").fetchone()[0]
    left.close()
    print(f"acknowledged before the kill: {len(acknowledged)}; not yet processed: {pending}")

    process = start(db, port, tmp_path)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(600):
            states = {
                i: httpx.get(f"{base}/v1/items/{job}", headers=headers).json()
                for i, job in acknowledged.items()
            }
            if all(s.get("status") == "done" for s in states.values()):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"jobs never finished: {states}")
        again = {i: submit(base, token, i) for i in list(acknowledged)[:5]}
        for index, response in again.items():
            assert response.status_code in (200, 202)
            assert response.json()["job_id"] == acknowledged[index]  # same job, no duplicate
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    with SqlEventStore(db) as store:
        ingested = Counter(
            e.item_id for e in store.read(kinds={"item_ingested"}) if isinstance(e, ItemIngested)
        )
    item_ids = {states[i]["item_id"] for i in acknowledged}
    assert len(item_ids) == len(acknowledged)  # distinct media, distinct items
    assert all(ingested[item] == 1 for item in item_ids)  # each stored exactly once
    assert all(count == 1 for count in ingested.values())  # and nothing twice at all
    return int(pending)
