"""Faults around ``deepscreen worker`` processes on a SQLite file: SIGKILL a worker mid-stream
and start another — every published upload ends with exactly one stored decision and every
message is acknowledged; restart the NATS server under a running worker — nothing JetStream
acknowledged is lost and the worker reconnects and finishes. Bounded waits, no timing asserted.

The broker restart needs this machine's nats-server (Debian's, started by start-stop-daemon
as in the README) or commands in DEEPSCREEN_TEST_NATS_STOP / DEEPSCREEN_TEST_NATS_START.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats
import pytest

from deepscreen.core.events import DecisionMade
from deepscreen.store.events.sql import SqlEventStore

pytestmark = pytest.mark.slow

CLI = str(Path(sys.executable).with_name("deepscreen"))
NATS_SERVER = "/usr/sbin/nats-server"
START = (
    f"start-stop-daemon --start --oknodo --background --exec {NATS_SERVER} -- "
    "-a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log"
)
STOP = f"start-stop-daemon --stop --oknodo --retry TERM/20/KILL/5 --exec {NATS_SERVER}"
ATTEMPTS = 4  # a kill can land after the worker caught up; then the scenario runs again


def publish(url: str, subject: str, count: int, prefix: str) -> list[str]:
    args = ["publish", "--nats", url, "--subject", subject, "--count", str(count)]
    proc = subprocess.run(
        [CLI, *args, "--id-prefix", prefix, "--print-ids"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["acknowledged"] == count
    return list(report["ids"])


def start_worker(url: str, stream: str, db: str, log: Path, *extra: str) -> subprocess.Popen[str]:
    args = ["worker", "--nats", url, "--stream", stream, "--db", db, "--concurrency", "4"]
    with log.open("a") as stderr:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [CLI, *args, "--ack-wait", "2", "--retry-delay", "0.2", *extra],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )


def kill(worker: subprocess.Popen[str]) -> None:
    """SIGKILL the worker (if still running) and reap it."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=30)


def stored(db_file: Path) -> int:
    if not db_file.exists():
        return 0
    with sqlite3.connect(db_file, timeout=10) as con:
        try:
            row = con.execute(
                "SELECT count(*) FROM events WHERE event_type = 'decision_made'"
            ).fetchone()
        except sqlite3.OperationalError:  # the schema is not created yet
            return 0
    return int(row[0])


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def consumer_settled(url: str, stream: str) -> bool:
    """Every message of the stream acknowledged (none pending, none in flight)."""

    async def check() -> bool:
        nc = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=2)
        try:
            info = await nc.jetstream().consumer_info(stream, "deepscreen")
            return bool(info.num_pending == 0 and info.num_ack_pending == 0)
        finally:
            await nc.close()

    try:
        return asyncio.run(check())
    except (nats.errors.Error, OSError):
        return False


def stop_gracefully(worker: subprocess.Popen[str]) -> dict[str, Any]:
    worker.send_signal(signal.SIGTERM)
    out, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, out
    return dict(json.loads(out.strip().splitlines()[-1]))


def decisions_per_item(db: str) -> Counter[str]:
    with SqlEventStore(db) as store:
        return Counter(
            e.item_id for e in store.read(kinds={"decision_made"}) if isinstance(e, DecisionMade)
        )


def test_a_worker_killed_mid_stream_leaves_every_upload_stored_exactly_once(
    nats_url: str, new_stream: Callable[[], str], tmp_path: Path
) -> None:
    stored_at_kill = []
    for attempt in range(ATTEMPTS):
        count = 60 * 2**attempt
        at_kill = kill_restart_and_check(nats_url, new_stream(), tmp_path / f"a{attempt}", count)
        stored_at_kill.append((at_kill, count))
        if at_kill < count:
            break
    assert stored_at_kill[-1][0] < stored_at_kill[-1][1], f"never mid-stream: {stored_at_kill}"


def kill_restart_and_check(url: str, stream: str, workdir: Path, count: int) -> int:
    workdir.mkdir()
    db_file = workdir / "stream.db"
    db = f"sqlite:///{db_file}"
    ids = publish(url, f"{stream}.new", count, prefix=f"{stream}-")
    log = workdir / "worker.log"
    worker = start_worker(url, stream, db, log)
    try:
        wait_for(lambda: stored(db_file) >= 5 or worker.poll() is not None, "first decisions")
        kill(worker)  # no shutdown: in-flight messages stay unacknowledged
    finally:
        kill(worker)
    at_kill = stored(db_file)
    print(f"{count} published; {at_kill} stored when the worker was killed")

    worker = start_worker(url, stream, db, log)
    try:
        wait_for(
            lambda: stored(db_file) >= count and consumer_settled(url, stream),
            f"every message stored and acknowledged (see {log})",
        )
        counts = stop_gracefully(worker)
    finally:
        kill(worker)
    print(f"restarted worker: {counts}")
    assert counts["dead_lettered"] == 0
    assert decisions_per_item(db) == Counter({item: 1 for item in ids})
    return at_kill


def broker_commands() -> tuple[list[str], list[str]] | None:
    stop, start = (
        os.environ.get("DEEPSCREEN_TEST_NATS_STOP"),
        os.environ.get("DEEPSCREEN_TEST_NATS_START"),
    )
    if stop and start:
        return shlex.split(stop), shlex.split(start)
    if Path(NATS_SERVER).exists() and shutil.which("start-stop-daemon") and os.geteuid() == 0:
        return shlex.split(STOP), shlex.split(START)
    return None


def broker_ready(url: str) -> bool:
    async def check() -> bool:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
        try:
            await nc.jetstream().account_info()
            return True
        finally:
            await nc.close()

    try:
        return asyncio.run(check())
    except (nats.errors.Error, OSError, TimeoutError):
        return False


def test_a_broker_restart_loses_no_acknowledged_work(
    nats_url: str, new_stream: Callable[[], str], tmp_path: Path
) -> None:
    commands = broker_commands()
    if commands is None:
        reason = "cannot restart the NATS server (set DEEPSCREEN_TEST_NATS_STOP and _START)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    stop, start = commands
    stream, db_file = new_stream(), tmp_path / "stream.db"
    db = f"sqlite:///{db_file}"
    before = publish(nats_url, f"{stream}.new", 150, prefix="before-")
    worker = start_worker(nats_url, stream, db, tmp_path / "worker.log")
    try:
        wait_for(lambda: stored(db_file) >= 5 or worker.poll() is not None, "first decisions")
        try:
            subprocess.run(stop, check=True, timeout=60, capture_output=True)
            print(f"broker stopped with {stored(db_file)} of {len(before)} stored")
            time.sleep(1.0)  # the worker meets the outage: failed fetches, acks, reconnects
        finally:
            subprocess.run(start, check=True, timeout=60, capture_output=True)
            wait_for(lambda: broker_ready(nats_url), "the NATS server to come back", 60)
        assert worker.poll() is None, "the worker survives the broker restart"
        after = publish(nats_url, f"{stream}.new", 20, prefix="after-")
        wait_for(
            lambda: (
                stored(db_file) >= len(before) + len(after) and consumer_settled(nats_url, stream)
            ),
            "every message stored and acknowledged after the restart",
        )
        counts = stop_gracefully(worker)
    finally:
        kill(worker)
    print(f"worker: {counts}")
    assert counts["dead_lettered"] == 0
    assert decisions_per_item(db) == Counter({item: 1 for item in before + after})
