"""The stream benchmark runs end to end, tiny, against the loopback JetStream server and writes
its JSON (no timing is asserted). Skipped without a NATS server, a failure under CI."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "stream.py"
NATS_URL = os.environ.get("DEEPSCREEN_TEST_NATS_URL", "nats://127.0.0.1:4222")


def require_nats() -> None:
    host_port = NATS_URL.split("//", 1)[-1]
    host, _, port = host_port.rpartition(":")
    try:
        socket.create_connection((host or "127.0.0.1", int(port or 4222)), timeout=1).close()
    except OSError:
        reason = f"no NATS server at {NATS_URL} (set DEEPSCREEN_TEST_NATS_URL)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def test_stream_benchmark_reports_throughput_and_latency(tmp_path: Path) -> None:
    require_nats()
    out = tmp_path / "stream.json"
    args = ["--nats", NATS_URL, "--items", "6", "--paced", "4", "--workers", "1"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--deadline", "240", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["loopback_only"] is True
    run = result["by_workers"]["1"]
    assert run["complete"] is True
    assert run["counts"]["stored"] == 10 and run["counts"]["dead_lettered"] == 0
    assert run["backlog"]["items"] == 6 and run["backlog"]["items_per_s"] > 0
    paced = run["paced"]
    assert paced["items"] == 4 and paced["p99_ms"] >= paced["p50_ms"] > 0
    assert result["in_process"]["items_per_s"] > 0
    assert result["ratios"]["stream_1_worker_over_in_process"] > 0
    assert "backlog items/s" in proc.stdout
