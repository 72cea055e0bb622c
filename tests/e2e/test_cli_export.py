"""``deepscreen export dsa-sor`` end to end: scan, review, export, validate, refuse."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.compliance.validate import validate_batch


def scanned_and_reviewed(runner: CliRunner, media_dir: Path, tmp_path: Path) -> list[str]:
    db = ["--db", f"sqlite:///{tmp_path / 'sor.db'}"]
    scan = runner.invoke(app, ["scan", str(media_dir / "ai.png"), *db])
    assert scan.exit_code == 0, scan.output
    item_id = json.loads(scan.stdout)["item_id"]
    review = runner.invoke(
        app,
        ["review", "record", item_id, "--verdict", "violating", "--reviewer", "alice", *db],
    )
    assert review.exit_code == 0, review.output
    return db


def test_export_writes_valid_batches_without_reviewer(
    runner: CliRunner, media_dir: Path, tmp_path: Path
) -> None:
    db = scanned_and_reviewed(runner, media_dir, tmp_path)
    out = tmp_path / "sor"
    result = runner.invoke(app, ["export", "dsa-sor", "--out", str(out), *db])
    assert result.exit_code == 0, result.output
    assert "1 records, 1 batches written" in result.stdout and "0 invalid" in result.stdout
    body = json.loads((out / "sor-00001.json").read_text())
    assert validate_batch(body["statements"]) == []
    (statement,) = body["statements"]
    assert statement["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert "alice" not in (out / "sor-00001.json").read_text()


def test_period_outside_exports_nothing(runner: CliRunner, media_dir: Path, tmp_path: Path) -> None:
    db = scanned_and_reviewed(runner, media_dir, tmp_path)
    out = tmp_path / "sor"
    result = runner.invoke(
        app, ["export", "dsa-sor", "--out", str(out), "--until", "2001-01-01", *db]
    )
    assert result.exit_code == 0, result.output
    assert "0 records, 0 batches" in result.stdout


def test_invalid_settings_value_refused_unless_allowed(
    runner: CliRunner, media_dir: Path, tmp_path: Path
) -> None:
    db = scanned_and_reviewed(runner, media_dir, tmp_path)
    config = tmp_path / "deepscreen.toml"
    config.write_text('[dsa]\ncontent_language = "en"\n')
    out = tmp_path / "sor"
    args = ["export", "dsa-sor", "--out", str(out), "--config", str(config), *db]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1
    assert "content_language" in refused.stdout and "1 refused" in refused.stdout
    assert not (out / "sor-00001.json").exists()
    allowed = runner.invoke(app, [*args, "--allow-invalid"])
    assert allowed.exit_code == 0 and (out / "sor-00001.json").exists()


def test_unknown_code_in_settings_is_a_config_error(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text('[dsa]\ncategory = "STATEMENT_CATEGORY_DEEPFAKES"\n')
    result = runner.invoke(
        app, ["export", "dsa-sor", "--out", str(tmp_path), "--config", str(config)]
    )
    assert result.exit_code == 3 and "STATEMENT_CATEGORY_DEEPFAKES" in result.output


def test_help_explains_the_export(runner: CliRunner) -> None:
    result = runner.invoke(app, ["export", "dsa-sor", "--help"])
    assert result.exit_code == 0
    assert "statements of reasons" in result.stdout and "--allow-invalid" in result.stdout


def test_submit_without_endpoint_is_a_config_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", "dsa-sor", "--out", str(tmp_path), "--db", "memory://", "--submit"]
    )
    assert result.exit_code == 3 and "api_url" in result.output
