"""The simulator benchmark runs end to end, tiny, and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "simulate.py"
PARTS = {"policy", "engagement", "review_queue", "item_and_metric_tables", "costs", "other"}


def test_simulate_benchmark_reports_items_per_second_and_the_time_split(tmp_path: Path) -> None:
    out = tmp_path / "simulate.json"
    args = ["--scenario", "small", "--days", "1", "--per-day", "2000", "--output", str(out)]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert {
        "machine",
        "python",
        "simulated",
        "scenario",
        "days",
        "per_day",
        "seed",
        "pinned_core",
        "policy",
        "items",
        "seconds_total",
        "items_per_s",
        "seconds",
        "share",
        "seconds_detail",
        "max_rss_mib",
        "target",
    } <= set(result)
    assert result["simulated"] is True
    assert result["scenario"] == "small" and result["days"] == 1 and result["per_day"] == 2000
    assert result["policy"] == "default"
    assert result["items"] > 0
    assert set(result["seconds"]) == PARTS and set(result["share"]) == PARTS
    assert set(result["seconds_detail"]) == {"item_table", "metric_table"}
    assert result["target"]["full_size_run"] is False and result["target"]["met"] is None
    assert "items/s" in proc.stdout and "policy" in proc.stdout
