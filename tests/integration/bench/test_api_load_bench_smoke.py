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
    assert run["requests"] == run["ok"] == 6 and run["statuses"] == {"200": 6}
    assert run["p50_ms"] > 0 and run["p99_ms"] >= run["p50_ms"] and run["requests_per_s"] > 0
    assert result["in_process_scan"]["scans"] == 6
    assert result["ratio_api_p50_to_in_process_p50"] > 0
    assert "API on sqlite, 1 worker(s)" in proc.stdout
