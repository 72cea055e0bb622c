"""``deepscreen scan`` end to end through Typer's runner, on a SQLite store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from deepscreen.cli.app import app


def records(stdout: str) -> dict[str, dict]:
    return {Path(r["source"]).name: r for r in map(json.loads, stdout.splitlines())}


def event_count(db: Path) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("select count(*) from events").fetchone()[0]


def test_scan_reports_decisions_and_typed_errors_when_some_files_are_bad(
    runner, media_dir, tmp_path
):
    db = tmp_path / "ds.db"
    result = runner.invoke(app, ["scan", str(media_dir), "--db", f"sqlite:///{db}"])
    assert result.exit_code == 1, result.output
    out = records(result.stdout)
    assert set(out) == {"ai.png", "photo.jpg", "truncated.jpg", "notes.png"}
    assert out["ai.png"]["action"] == "label" and out["ai.png"]["rule"] == "label_declared_ai"
    assert out["ai.png"]["signals"]["metadata"]["score"] == 1.0
    evidence = out["ai.png"]["signals"]["metadata"]["evidence"]
    assert evidence["tools"] == ["automatic1111"]
    assert evidence["summary"] == "automatic1111 (png_text:parameters)"
    assert out["ai.png"]["item_id"].startswith("sha256:")
    assert out["photo.jpg"]["action"] == "allow"
    assert out["photo.jpg"]["signals"]["metadata"]["abstained"] is True
    assert out["truncated.jpg"]["error"]["code"] == "corrupt_media"
    assert out["notes.png"]["error"]["code"] == "unsupported_media"
    assert "truncated.jpg" in out["truncated.jpg"]["error"]["message"]
    assert "scanned 4 files: 2 new, 0 already stored, 2 unreadable" in result.stderr
    assert event_count(db) == 6  # 3 events per item, nothing for the unreadable files


def test_rescan_returns_stored_decision_and_writes_nothing(runner, media_dir, tmp_path):
    db = tmp_path / "ds.db"
    args = ["scan", str(media_dir / "ai.png"), "--db", f"sqlite:///{db}"]
    first = records(runner.invoke(app, args).stdout)["ai.png"]
    before = event_count(db)
    again = runner.invoke(app, args)
    assert again.exit_code == 0
    second = records(again.stdout)["ai.png"]
    assert second["already_stored"] is True
    assert second["decision_id"] == first["decision_id"]
    assert event_count(db) == before
    assert "0 new, 1 already stored" in again.stderr


def test_scan_table_format_lists_every_file(runner, media_dir, tmp_path):
    result = runner.invoke(
        app,
        [
            "scan",
            str(media_dir / "ai.png"),
            str(media_dir / "sub"),
            "--db",
            "memory://",
            "--format",
            "table",
        ],
        env={"COLUMNS": "200"},  # rich wraps to the terminal width; keep rows on one line
    )
    assert result.exit_code == 0, result.output
    assert "label: ai_generated" in result.stdout and "by label_declared_ai" in result.stdout
    assert "allow" in result.stdout and "by default" in result.stdout
    assert "metadata 1.00" in result.stdout and "automatic1111" in result.stdout
    assert "no generator metadata found" in result.stdout


def test_missing_path_is_reported_and_counted(runner, tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path / "nope.jpg"), "--db", "memory://"])
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_unreachable_store_exits_4(runner, media_dir, tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}"
    result = runner.invoke(app, ["scan", str(media_dir), "--db", url])
    assert result.exit_code == 4, result.output
    assert "Traceback" not in result.output


def test_invalid_config_exits_3(runner, media_dir, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[costs]\nreview_cost_per_item = -1\n")
    result = runner.invoke(app, ["scan", str(media_dir), "--config", str(cfg)])
    assert result.exit_code == 3
    assert "review_cost_per_item" in result.output


def test_invalid_policy_exits_3_listing_errors(runner, media_dir, tmp_path):
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "p.yaml").write_text("rules: [{id: Bad-Id, when: 'x >', action: {type: nope}}]\n")
    result = runner.invoke(
        app, ["scan", str(media_dir), "--db", "memory://", "--policy", str(policy)]
    )
    assert result.exit_code == 3
    assert (
        "rule Bad-Id: id: Value error, rule id 'Bad-Id' must be lower_snake_case" in result.output
    )
    assert "rule Bad-Id: action.type" in result.output
