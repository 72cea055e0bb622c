"""`deepscreen review decide --action` takes the actions the loaded policy applies — the
reviewer UI's choices — and refuses any other with one error line naming them and exit code 1;
an NCII takedown is decided by removal only, and the output says what the removal did."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.core.events import ReviewCompleted
from deepscreen.store.events.sql import SqlEventStore

SETTINGS = """
detectors = ["c2pa", "hashmatch", "metadata", "watermark"]
[review]
gold_share = 0.0
"""


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deepscreen.toml").write_text(SETTINGS)


def run(runner: CliRunner, *args: str) -> dict:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    out = result.stdout
    return dict(json.loads(out.splitlines()[0] if args[0] == "scan" else out))


def decide(runner: CliRunner, task_id: str, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        ["review", "decide", task_id, "--reviewer", "ann", "--verdict", "violating",
         "--reason", "manipulated_media", *extra],
    )  # fmt: skip


def test_decide_refuses_an_action_the_policy_never_applies(
    runner: CliRunner, media_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    db = ("--db", url)
    item = run(runner, "scan", str(media_dir / "ai.png"), "--attr", "category=news", *db)
    task = run(runner, "review", "claim", "--reviewer", "ann", *db)
    for action, problem in [
        ("age_gate", "'age_gate' is not one this task allows: label, remove"),
        ("downrank", "'downrank' is not one this task allows: label, remove"),
        ("allow", "'allow' does not fit verdict 'violating'"),
    ]:
        refused = decide(runner, task["task_id"], "--action", action, *db)
        assert refused.exit_code == 1, refused.output
        assert problem in refused.output and "Traceback" not in refused.output
    bad = decide(runner, task["task_id"], "--action", "ban", *db)
    assert bad.exit_code == 2  # not an action at all: click's usage error
    done = decide(runner, task["task_id"], "--action", "label", *db)
    assert done.exit_code == 0, done.output
    store = SqlEventStore(url)
    try:
        reviews = [e for e in store.for_item(item["item_id"]) if isinstance(e, ReviewCompleted)]
    finally:
        store.close()
    assert [r.action.value for r in reviews if r.action] == ["label"]


def test_an_ncii_takedown_is_removed_and_the_output_says_what_that_did(
    runner: CliRunner, tmp_path: Path
) -> None:
    db = ("--db", f"sqlite:///{tmp_path / 'ncii.db'}")
    rng = np.random.default_rng(5)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    blobs.resize((320, 240), Image.Resampling.BICUBIC).save(tmp_path / "post.png")
    item = run(runner, "scan", str(tmp_path / "post.png"), *db)
    notice = run(
        runner, "notice", "submit", "--type", "ncii", "--item", item["item_id"],
        "--statement", "An intimate image of me posted without consent.",
        "--contact", "me@example.org", "--good-faith", *db,
    )  # fmt: skip
    task = run(runner, "review", "claim", "--reviewer", "ann", *db)
    assert task["task_id"] == notice["task_id"]
    refused = decide(runner, task["task_id"], "--action", "label", *db)
    assert refused.exit_code == 1 and "answered by removal" in refused.output
    done = decide(runner, task["task_id"], *db)
    assert done.exit_code == 0, done.output
    takedown = json.loads(done.stdout)["takedown"]
    assert takedown["notice_id"] == notice["notice_id"] and takedown["removed"] is True
    assert len(takedown["banked"]) >= 1 and takedown["not_banked_because"] is None
    assert takedown["closed_tasks"] == [] and takedown["copies_removed"] == []
