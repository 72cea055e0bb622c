"""The README's newcomer path, on real command output: demo → impact → compare → optimize →
report → case study, run where the demo's ``deepscreen.toml`` is (no --db, no --config)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.cli.app import app

WIDE = {"COLUMNS": "200"}


def test_the_debrief_chain_runs_from_the_demo_settings(
    demo_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    shutil.copy(demo_dir / "deepscreen.toml", tmp_path / "deepscreen.toml")
    monkeypatch.chdir(tmp_path)  # what the commands write lands here, not in the shared demo
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, list(args), env=WIDE)
        assert result.exit_code == 0, (args, result.output)
        return result.output

    table = run("impact", "--period", "all", "--no-segments", "--no-policies")
    assert "Reviewer hours (items people reviewed)" in table and "Net value" in table
    run("impact", "compare", "label-first", "--json", "compare.json", "--n-boot", "200")
    compared = {r["metric"]: r for r in json.loads(Path("compare.json").read_text())["metrics"]}
    assert compared["sent_to_review"]["candidate"] == 0  # label-first sends nothing to review
    run("impact", "optimize", "--review-capacity", "50", "--out", "candidate", "--json", "opt.json")
    assert json.loads(Path("opt.json").read_text())["kind"] == "deepscreen.threshold_optimization"
    run(
        "report",
        "--policy",
        "label-first",
        "--optimization",
        "opt.json",
        "--period",
        "week",
        "--format",
        "json",
        "-o",
        "debrief.json",
        "--n-boot",
        "200",
    )
    doc = json.loads(Path("debrief.json").read_text())
    assert doc["optimization"]["kind"] == "deepscreen.threshold_optimization"
    replay = {r["metric"]: r for r in doc["comparison"]["metrics"]}
    assert replay["sent_to_review"]["baseline"] == compared["sent_to_review"]["baseline"]
    run("report", "case-study", "--policy", "label-first", "-o", "case.md", "--n-boot", "200")
    text = Path("case.md").read_text()
    assert "SYNTHETIC DATA" in text and "uploads/month" in text
