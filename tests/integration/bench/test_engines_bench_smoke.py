"""The engines benchmark runs end to end, tiny, and writes its JSON (no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "engines.py"


def test_engines_benchmark_compares_every_engine_on_one_corpus(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed")
    out = tmp_path / "engines.json"
    args = ["--items", "24", "--width", "96", "--height", "64", "--batch-size", "4"]
    proc = subprocess.run(
        [sys.executable, str(BENCH), *args, "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    configs = [(c["engine"], c["workers"]) for c in result["configs"]]
    assert configs == [("serial", 1), ("local", 1), ("local", 2), ("ray", 2)]
    for config in result["configs"]:
        assert config["stored"] == 24 and config["failed"] == 0
        assert config["same_decisions_as_serial"] is True
        assert config["speedup_vs_serial"] >= 0  # a ratio of wall times: its shape, not its size
    assert result["configs"][0]["speedup_vs_serial"] == 1.0
    assert "× serial" in proc.stdout
