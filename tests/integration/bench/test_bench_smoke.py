"""The scan benchmark runs end to end and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "scan_throughput.py"


def test_scan_benchmark_writes_rates_and_ratio(tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--rounds", "1", "--images", "1", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["images"] == 2
    assert set(result["images_per_s"]) == {"bare_decode", "scan_pipeline"}
    assert result["ratio_pipeline_over_bare_median"] > 0
    assert "ratio scan/bare" in proc.stdout
