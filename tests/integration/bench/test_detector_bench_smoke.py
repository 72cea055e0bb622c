"""The detector benchmarks run end to end, small, and write their JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench"


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_detector_cost_measures_every_backbone(tmp_path: Path) -> None:
    out = tmp_path / "cost.json"
    args = ["--images", "2", "--batch", "2", "--rounds", "1", "--models-dir", str(tmp_path)]
    proc = run("detector_cost.py", *args, "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert set(result["backbones"]) == {"spectral", "tiny-onnx"}  # no CLIP in an empty cache
    assert "models fetch clip-vit-b16" in result["clip_note"]
    for row in result["backbones"].values():
        assert row["ms_per_image_single"] > 0 and row["ms_per_image_batched"] > 0
        assert row["batch_speedup"] > 0 and row["ratio_to_bare_decode"] > 0
    assert result["backbones"]["tiny-onnx"]["dim"] == 128
    assert "batch speedup" in proc.stdout


def test_detector_quality_trains_and_evaluates_a_generated_set(tmp_path: Path) -> None:
    out = tmp_path / "quality.json"
    args = [str(tmp_path / "set"), "--generate", "4", "--n-boot", "200", "--output", str(out)]
    proc = run("detector_quality.py", *args)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["synthetic"] is True
    metrics = result["grouped"]["evaluation"]["metrics"]
    assert metrics["auc"]["low"] <= metrics["auc"]["value"] <= metrics["auc"]["high"]
    assert "grouped by source" in result["grouped"]["cross_validation"]
    assert result["ratio_grouped_over_stratified_auc"] > 0
    assert "ROC AUC" in proc.stdout and "gen_nearest" in proc.stdout
