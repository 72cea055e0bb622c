"""The CLI start-up benchmark runs end to end, one run per command, and writes its JSON (no
timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "cli_startup.py"


def test_cli_startup_benchmark_times_every_command(tmp_path: Path) -> None:
    out = tmp_path / "cli_startup.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--runs", "1", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert "deepscreen --version" in rows and "python -c pass" in rows
    assert all(row["runs"] == 1 and row["median_s"] > 0 for row in rows.values())
    assert set(result["goals_s"]) <= set(rows)
    assert "default-detector scan without it" in proc.stdout
