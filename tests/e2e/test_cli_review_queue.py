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


def test_a_reversed_appeal_unbanks_the_item_from_the_command_line(runner, tmp_path: Path):
    """Issue 17: scan → confirm deepfake (banked) → appeal → reversed: the hash leaves
    `confirmed_deepfakes` (export, audit trail) and a re-upload is no longer removed."""
    from importlib.resources import files

    from PIL import Image, PngImagePlugin

    from deepscreen.store.access.sql import SqlAuditLog
    from deepscreen.store.sql.database import SqlDatabase

    url = f"sqlite:///{tmp_path / 'loop.db'}"
    db = ("--db", url)
    with Image.open(files("skimage.data") / "astronaut.png") as image:
        photo = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", "a portrait\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1")
    photo.save(tmp_path / "upload.png", pnginfo=info)
    photo.resize((384, 384)).save(tmp_path / "repost-1.jpg", quality=80)
    photo.resize((320, 320)).save(tmp_path / "repost-2.jpg", quality=75)

    _, line = run(runner, "scan", str(tmp_path / "upload.png"), "--attr", "category=news", *db)
    _, task = run(runner, "review", "claim", "--reviewer", "ann", *db)
    decided, _ = run(
        runner, "review", "decide", task["task_id"], "--reviewer", "ann", "--verdict",
        "violating", "--reason", "manipulated_media", "--label", "deepfake", *db,
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    _, removed = run(runner, "scan", str(tmp_path / "repost-1.jpg"), *db)
    assert removed["action"] == "remove"

    _, appeal = run(runner, "appeal", "open", line["item_id"], "--statement", "my photo", *db)
    run(runner, "review", "claim", "--reviewer", "bo", "--queue", "appeals", *db)
    result, resolved = run(
        runner, "appeal", "resolve", appeal["task_id"], "--reviewer", "bo",
        "--outcome", "reversed", "--reason", "authentic_media", *db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [unbanked] = resolved["unbanked"]
    assert unbanked["bank"] == "confirmed_deepfakes" and unbanked["removed_by"] == "bo"
    assert unbanked["reason"] == f"appeal {appeal['task_id']} reversed (authentic_media)"

    exported = runner.invoke(app, ["bank", "export", "confirmed_deepfakes", "--format", "hma", *db])
    assert exported.exit_code == 0 and exported.stdout == ""  # removed entries are not exported
    _, kept = run(runner, "scan", str(tmp_path / "repost-2.jpg"), *db)
    assert kept["action"] == "allow"  # the old code removed the restored photo again
    _, retried = run(runner, "appeal", "unbank", appeal["task_id"], *db)
    assert retried == {"task_id": appeal["task_id"], "unbanked": []}

    audit = SqlAuditLog(SqlDatabase(url))
    [entry] = [e for e in audit.entries() if e.action == "bank.unbank"]
    audit.close()
    assert (entry.actor, entry.target) == ("cli", line["item_id"])
    assert entry.details["hashes"] == [unbanked["hash"]]
    assert entry.details["banks"] == ["confirmed_deepfakes"]
    assert entry.details["task_id"] == appeal["task_id"]
