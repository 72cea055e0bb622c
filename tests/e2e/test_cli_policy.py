"""``deepscreen policy test|explain`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

from deepscreen.cli.app import app
from deepscreen.policy.bundle import load_bundle

SHIPPED = str(Path(__file__).resolve().parents[2] / "policies" / "default")


def test_policy_test_passes_on_shipped_bundle(runner):
    result = runner.invoke(app, ["policy", "test", SHIPPED])
    assert result.exit_code == 0, result.output
    rules = len(load_bundle(SHIPPED).rules)
    assert "PASS" in result.stdout and f"rule coverage: {rules}/{rules} (100%)" in result.stdout


def test_policy_test_json_and_failures_exit_1(runner, tmp_path):
    (tmp_path / "p.yaml").write_text(
        "rules: [{id: r, when: 'true', action: {type: remove}}]\ndefault: {type: allow}\n"
    )
    (tmp_path / "p_test.yaml").write_text("- {name: wrong, input: {}, expect: {action: allow}}\n")
    result = runner.invoke(app, ["policy", "test", str(tmp_path), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"pass": 0, "fail": 1, "error": 0}
    assert data["results"][0]["message"] == "action: expected 'allow', got 'remove'"


def test_policy_test_invalid_bundle_exits_3(runner, tmp_path):
    (tmp_path / "p.yaml").write_text("rules: [{id: a, when: '1 +', action: {type: allow}}]\n")
    result = runner.invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 3
    assert "CEL does not compile" in result.output


def test_explain_shows_trace_and_winner(runner):
    result = runner.invoke(
        app,
        [
            "policy",
            "explain",
            "--signal",
            "metadata.score=1.0",
            "--item",
            "category=news",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["winner"] == "review_declared_ai_sensitive"
    assert data["action"] == "review" and data["action_params"] == {"queue": "synthetic_media"}
    outcomes = {r["rule"]: r["outcome"] for r in data["rules"]}
    assert outcomes["review_declared_ai_sensitive"] == "matched"
    assert outcomes["label_declared_ai"] == "matched"
    assert outcomes["remove_known_deepfake"] == "not_matched"
    assert data["derived"]["declared_ai"] is True and data["derived"]["metadata_ai"] is True
    assert data["inputs"]["signals"]["c2pa"]["reason"] == "not given in the input"


def test_explain_reads_input_file_and_prints_table(runner, tmp_path):
    inputs = tmp_path / "in.yaml"
    inputs.write_text("signals: {metadata: {abstained: true}}\nitem: {category: pets}\n")
    result = runner.invoke(app, ["policy", "explain", "--input", str(inputs)])
    assert result.exit_code == 0, result.output
    assert "decision: allow by default" in result.stdout


def test_explain_rejects_malformed_assignment(runner):
    result = runner.invoke(app, ["policy", "explain", "--signal", "metadata.score"])
    assert result.exit_code == 2
