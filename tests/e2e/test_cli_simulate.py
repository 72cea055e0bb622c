"""``deepscreen simulate`` on the small scenario shrunk to one day of 2,000 uploads: the simulated
note comes first, then a table; sweeps and policy comparisons; typed errors; JSON rows."""

from __future__ import annotations

import json
import shutil
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml

from deepscreen.bootstrap import default_policy_dir
from deepscreen.cli.app import app
from deepscreen.core.metrics import label

WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
NOTE = "Simulated with scenario 'small'"
SEEDS = "seeds 20261125..20261126"


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./deepscreen.toml


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """The shipped small scenario, one day of 2,000 uploads."""
    text = files("deepscreen.simulate").joinpath("scenarios", "small.yaml").read_text("utf-8")
    shrunk = text.replace("\ndays: 14\n", "\ndays: 1\n").replace(
        "\n  per_day: 20000\n", "\n  per_day: 2000\n"
    )
    assert shrunk.count("days: 1\n") == 1 and "per_day: 2000\n" in shrunk
    path = tmp_path / "tiny.yaml"
    path.write_text(shrunk, encoding="utf-8")
    return path


def candidate_dir(tmp_path: Path, name: str = "candidate") -> Path:
    """The default bundle plus a rule removing what the learned score calls likely AI (>= 0.6)."""
    directory = tmp_path / name
    shutil.copytree(default_policy_dir(), directory)
    (directory / "policy_test.yaml").unlink()
    path = directory / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    policy["rules"].append(
        {
            "id": "remove_likely_deepfake",
            "when": "!signals.learned.abstained && signals.learned.score >= 0.6",
            "action": {"type": "remove", "reason": "likely_deepfake"},
        }
    )
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return directory


def invoke(runner, *args: str) -> Any:
    return runner.invoke(app, ["simulate", *args], env=WIDE)


def rows_of(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    report = json.loads(path.read_text())
    return {(r["combination"], r["metric"]): r for r in report["rows"]}


def test_a_run_prints_the_note_first_then_a_table(runner, tiny) -> None:
    result = invoke(runner, str(tiny), "--replications", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith(NOTE) and "not measurements" in lines[0]
    assert lines[1] == "scenario small: 1 day, 2,000 uploads/day (expected)"
    assert f"replications: 2 ({SEEDS})" in result.stdout
    assert "policy: default r-" in result.stdout
    assert "simulated: mean over 2 replications [95% t-interval]" in result.stdout
    for metric in ("violating_views_realised", "recall_any_action", "cost_net_value"):
        assert label(metric) in result.stdout  # the table shows labels; --json FILE has ids
    assert label("views_before_action_mean") not in result.stdout  # not a headline metric
    assert "ground truth: violating = AI-generated items that break the policy" in result.stdout
    assert "reference" in result.stdout  # the only combination is its own reference


def test_sweep_runs_every_combination_with_paired_deltas(runner, tiny, tmp_path) -> None:
    out = tmp_path / "sweep.json"
    policy = candidate_dir(tmp_path, "learned")
    args = ["--policy", str(policy), "--sweep", "detection_latency=2s,60min", "--json", str(out)]
    result = invoke(runner, str(tiny), "--replications", "2", *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(NOTE)
    assert "combinations (2): detection_latency=2s; detection_latency=60min" in result.stdout
    assert "delta vs detection_latency=2s [95% CI]" in result.stdout
    report = json.loads(out.read_text())
    assert report["simulated_note"].startswith(NOTE)
    assert report["combinations"] == ["detection_latency=2s", "detection_latency=60min"]
    assert report["seeds"] == [20261125, 20261126]
    assert report["sweeps"] == {"detection_latency": ["2s", "60min"]}
    rows = rows_of(out)
    assert "views_before_action_mean" in {metric for _, metric in rows}  # every metric
    first = rows["detection_latency=2s", "violating_views_realised"]
    assert first["n"] == 2 and first["delta"] is None
    # the same items either way (paired), but the model-based removal comes an hour later
    slow = rows["detection_latency=60min", "violating_views_realised"]
    assert rows["detection_latency=60min", "uploads"]["delta"] == 0.0
    assert slow["delta"] > 0 and slow["delta_low"] is not None
    assert rows["detection_latency=60min", "actioned_remove"]["delta"] == 0.0
    assert [row["combination"] for row in report["frontier"]] == report["combinations"]
    assert report["frontier"][1]["detection_latency"] == "60min"


def test_compare_puts_the_baseline_first(runner, tiny, tmp_path) -> None:
    out = tmp_path / "compare.json"
    candidate = candidate_dir(tmp_path)
    args = ["--compare", str(candidate), "--replications", "2", "--json", str(out)]
    result = invoke(runner, str(tiny), *args, "--metrics", "actioned_remove,precision_remove")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(NOTE)
    report = json.loads(out.read_text())
    baseline, cand = report["combinations"]
    assert baseline.startswith("default r-") and cand.startswith("candidate r-")
    assert report["policy"]["label"] == baseline and report["candidate"]["label"] == cand
    assert f"baseline policy: {baseline}" in result.stdout
    assert f"candidate policy: {cand}" in result.stdout
    assert f"delta vs {baseline} [95% CI]" in result.stdout
    assert label("actioned_remove") in result.stdout
    assert label("cost_net_value") not in result.stdout
    rows = rows_of(out)
    assert rows[cand, "actioned_remove"]["delta"] > 0
    assert rows[cand, "violating_views_realised"]["delta"] < 0
    assert rows[cand, "uploads"]["delta"] == 0.0


def test_compare_with_the_same_bundle_changes_nothing(runner, tiny, tmp_path) -> None:
    out = tmp_path / "same.json"
    args = ["--compare", str(default_policy_dir()), "--replications", "2", "--json", str(out)]
    result = invoke(runner, str(tiny), *args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["combinations"][0].endswith("(baseline)")
    deltas = [r["delta"] for r in report["rows"] if r["combination"].endswith("(candidate)")]
    assert deltas and all(d == 0.0 for d in deltas)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sweep", "reviewers"], "has no '='"),
        (["--sweep", "reviewers=3,,6"], "empty value"),
        (["--sweep", "reviewers=3", "--compare", "."], "not both"),
        (["--replications", "0"], "--replications"),
    ],
)
def test_bad_command_lines_are_usage_errors(runner, tiny, args, message) -> None:
    result = invoke(runner, str(tiny), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-scenario"], "neither a shipped scenario"),
        (["TINY", "--sweep", "reviewers=3,-1"], "review.reviewers"),
        (["TINY", "--sweep", "nope=1"], "unknown override path 'nope'"),
        (["TINY", "--sweep", "detection_latency=2parsecs"], "detection_latency"),
        (["TINY", "--sweep", "seed=1,2"], "pairing"),
    ],
)
def test_bad_scenarios_and_overrides_are_config_errors(runner, tiny, args, message) -> None:
    result = invoke(runner, *[str(tiny) if a == "TINY" else a for a in args])
    assert result.exit_code == 3, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_an_invalid_scenario_file_is_a_config_error(runner, tiny) -> None:
    tiny.write_text(tiny.read_text().replace("per_day: 2000", "per_day: -5"))
    result = invoke(runner, str(tiny))
    assert result.exit_code == 3 and "per_day" in result.output


def test_help_says_numbers_are_simulated_and_names_the_aliases(runner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for text in ("simulated", "detection_latency", "reviewers", "500ms", "paired", "--compare"):
        assert text in result.stdout
