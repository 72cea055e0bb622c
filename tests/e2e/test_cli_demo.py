"""``deepscreen demo`` on a small sample: summary printed, files written, synthetic said."""

from __future__ import annotations

import json

from deepscreen.cli.app import app


def test_demo_writes_report_and_summary_from_stored_decisions(runner, tmp_path):
    out = tmp_path / "demo"
    result = runner.invoke(app, ["demo", "--items", "80", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SYNTHETIC DATA" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["uploads"] == 80
    assert summary["scenario"]["synthetic"] is True
    assert sum(summary["actions"].values()) == 80
    c = summary["confusion"]
    assert c["tp"] + c["fp"] + c["fn"] + c["tn"] == 80
    assert summary["costs"]["review_cost_per_item"] == 0.65
    assert summary["fp_review_cost_per_month"] is not None
    report = (out / "report.md").read_text()
    assert "SYNTHETIC DATA" in report and "false-positive rate" in report
    assert len(list((out / "items").iterdir())) == 80
    # The pixel detector's part is counted from the outcomes: every upload is either scored,
    # settled by a cheaper detector, outside the demo's sample, or (here, with no encoder
    # installed) abstaining with the command that installs it.
    pixel = summary["pixel_detector"]
    assert pixel["expensive_share"] == 0.03
    scored = sum(pixel["scored"].values())
    assert scored + sum(pixel["skipped"].values()) == 80
    assert any(reason.startswith("settled by") for reason in pixel["skipped"])
    assert "not sampled" in pixel["skipped"]
    assert "Pixel detector" in result.stdout


def test_demo_is_reproducible_with_same_seed(runner, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        assert (
            runner.invoke(app, ["demo", "--items", "30", "--out", str(d), "--seed", "3"]).exit_code
            == 0
        )
    assert (a / "manifest.csv").read_text() == (b / "manifest.csv").read_text()
    sa, sb = (json.loads((d / "summary.json").read_text()) for d in (a, b))
    assert sa["confusion"] == sb["confusion"]


def test_demo_refuses_non_empty_directory_without_force(runner, tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["demo", "--items", "5", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "not empty" in result.output
    assert (tmp_path / "keep.txt").exists()


def test_demo_cost_inputs_follow_env_override(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPSCREEN_COSTS__REVIEW_COST_PER_ITEM", "2.0")
    result = runner.invoke(app, ["demo", "--items", "20", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["costs"]["review_cost_per_item"] == 2.0
