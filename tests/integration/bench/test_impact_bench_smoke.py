"""The impact benchmark runs end to end, small, and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "impact.py"


def test_impact_benchmark_times_the_table_and_the_bare_group_by(tmp_path: Path) -> None:
    out = tmp_path / "impact.json"
    args = ["--items", "20000", "--bootstrap-items", "5000", "--n-boot", "200"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["items"] == 20000 and result["synthetic"] is True
    assert result["metric_rows"] > 0 and result["bootstrap"]["metric_rows"] > 0
    assert result["ratio_full_over_bare"] > 0
    assert "ratio full / bare" in proc.stdout
