"""The API load benchmark runs end to end, tiny, and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "api_load.py"


def test_api_load_benchmark_reports_latency_and_throughput(tmp_path: Path) -> None:
    out = tmp_path / "api_load.json"
    args = ["--requests", "6", "--concurrency", "2", "--workers", "1", "--output", str(out)]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["loopback_only"] is True
    run = result["api_by_store_and_workers"]["sqlite/1"]
    assert len(run["cold_ms"]) == 2 and run["cold_statuses"] == [200]  # one per client
    for phase in ("serial", "concurrent"):  # 1 client, then 2
        measured = run[phase]
        assert measured["requests"] == measured["ok"] == 6 and measured["statuses"] == {"200": 6}
        assert measured["p50_ms"] > 0 and measured["p99_ms"] >= measured["p50_ms"]
        assert measured["requests_per_s"] > 0 and measured["server_cpu_ms"] >= 0  # /proc ticks
        reference = measured["in_process"]  # interleaved with the requests
        assert reference["scans"] == 6 and reference["p50_ms"] > 0 and reference["cpu_ms"] > 0
    ratios = result["ratios_sqlite_first_worker_count"]
    assert ratios["api_p50_to_in_process_p50_1_client"] > 0
    assert ratios["api_p50_to_in_process_p50_2_clients"] > 0
    assert "API on sqlite, 1 worker(s), 1 client(s)" in proc.stdout
    assert "API on sqlite, 1 worker(s), 2 client(s)" in proc.stdout
    assert "in-process scan_bytes, 2 thread(s), interleaved" in proc.stdout
