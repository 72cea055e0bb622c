"""The review queue and appeals from the command line: scan → queue → claim → decide →
appeal → resolve, on one SQLite file (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

from deepscreen.cli.app import app


def run(runner, *args: str):
    result = runner.invoke(app, list(args))
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def test_review_then_appeal_from_the_command_line(runner, media_dir: Path, tmp_path: Path):
    db = ("--db", f"sqlite:///{tmp_path / 'queue.db'}")
    scanned, line = run(runner, "scan", str(media_dir / "ai.png"), "--attr", "category=news", *db)
    assert scanned.exit_code == 0, scanned.output
    item_id = line["item_id"]

    _, counts = run(runner, "review", "queue", "--format", "json", *db)
    assert counts == [{"queue": "synthetic_media", "status": "open", "tasks": 1, "overdue": 0}]

    _, task = run(runner, "review", "claim", "--reviewer", "ann", *db)
    assert task["item_id"] == item_id and task["kind"] == "review"
    assert task["context"]["rule_id"] == "review_declared_ai_sensitive"
    refused, _ = run(
        runner, "review", "decide", task["task_id"], "--reviewer", "ann",
        "--verdict", "violating", "--reason", "looks_fake", *db,
    )  # fmt: skip
    assert refused.exit_code == 1 and "reason_codes" in refused.output
    _, done = run(
        runner, "review", "decide", task["task_id"], "--reviewer", "ann",
        "--verdict", "violating", "--reason", "manipulated_media", *db,
    )  # fmt: skip
    assert done == {
        "task_id": task["task_id"],
        "item_id": item_id,
        "status": "done",
        "verdict": "violating",
        "reason_code": "manipulated_media",
    }

    _, appeal = run(runner, "appeal", "open", item_id, "--statement", "my own photo", *db)
    assert appeal["queue"] == "appeals" and appeal["status"] == "open"
    _, nothing = run(runner, "review", "claim", "--reviewer", "ann", "--queue", "appeals", *db)
    assert nothing is None  # ann reviewed the item: she may not judge its appeal
    _, claimed = run(runner, "review", "claim", "--reviewer", "bo", "--queue", "appeals", *db)
    assert claimed["task_id"] == appeal["task_id"] and claimed["kind"] == "appeal"
    _, resolved = run(
        runner, "appeal", "resolve", appeal["task_id"], "--reviewer", "bo",
        "--outcome", "reversed", "--reason", "authentic_media", *db,
    )  # fmt: skip
    assert resolved["restored"] is True
    assert resolved["events"] == ["appeal_resolved", "item_restored"]

    _, late = run(runner, "review", "queue", "--overdue", "--format", "json", *db)
    assert late == []
    table = runner.invoke(app, ["review", "queue", *db])
    assert table.exit_code == 0 and "appeals" in table.stdout and "done" in table.stdout


def test_errors_are_one_line_with_an_exit_code(runner, tmp_path: Path):
    db = ("--db", f"sqlite:///{tmp_path / 'empty.db'}")
    unknown, _ = run(runner, "appeal", "open", "sha256:nope", *db)
    assert unknown.exit_code == 1 and "no scanned item" in unknown.output
    missing, _ = run(
        runner, "review", "decide", "review:nope", "--reviewer", "ann",
        "--verdict", "violating", "--reason", "manipulated_media", *db,
    )  # fmt: skip
    assert missing.exit_code == 1 and "no review task 'review:nope'" in missing.output
    not_held, _ = run(runner, "review", "release", "review:nope", "--reviewer", "ann", *db)
    assert not_held.exit_code == 1 and "Traceback" not in not_held.output
    _, accuracy = run(runner, "review", "accuracy", "--format", "json", *db)
    assert accuracy == []
    _, empty = run(runner, "review", "claim", "--reviewer", "ann", "--seed", "1", *db)
    assert empty is None
