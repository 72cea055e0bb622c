"""Takedown requests from the command line on one SQLite file: scan → `notice submit` → the
48-hour task claimed before an ordinary review → `review decide` removes the item → an
identical and a resized copy are removed at upload → `notice sweep` removes the stored copy →
`notice list` and `notice report` show the compliance figures.

Then the crash test: `deepscreen notice submit` is SIGKILLed right after its event-store write
returns and at random moments, then run to completion; after every kill the database holds no
takedown notice without its task nor task without its notice, and at the end exactly one of
each.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.cli.app import app

SETTINGS = """
detectors = ["c2pa", "hashmatch", "metadata", "watermark"]
[review]
gold_share = 0.0
"""
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
KILL_AFTER_WRITE = """
import os, signal, sys
from deepscreen.store.events.sql import SqlEventStore
write = SqlEventStore.append_import
def killing(self, *args, **kwargs):
    result = write(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)
    return result
SqlEventStore.append_import = killing
from deepscreen.cli.app import main
main()
"""
CLI = "from deepscreen.cli.app import main; main()"


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deepscreen.toml").write_text(SETTINGS)


def picture(path: Path, seed: int, *, size=(320, 240), fmt="PNG", text: str = "") -> Path:
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    options = {"pnginfo": info} if fmt == "PNG" else {"quality": 75}
    blobs.resize(size, Image.Resampling.BICUBIC).save(path, fmt, **options)
    return path


def run(runner: CliRunner, *args: str, env: dict[str, str] | None = None):
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def scanned(runner: CliRunner, db: tuple[str, str], path: Path, *extra: str) -> dict:
    line = run(runner, "scan", str(path), *extra, *db).stdout.splitlines()[0]
    return json.loads(line)


def test_notice_to_removal_to_copies_to_compliance_figure(runner: CliRunner, tmp_path: Path):
    db = ("--db", f"sqlite:///{tmp_path / 'takedown.db'}")
    no_sweep = {"DEEPSCREEN_TAKEDOWN__SWEEP_ON_RESOLVE": "false"}
    original = scanned(runner, db, picture(tmp_path / "post.png", 21))
    stored_copy = scanned(
        runner, db, picture(tmp_path / "old-copy.jpg", 21, size=(256, 192), fmt="JPEG")
    )
    ai = tmp_path / "news.png"
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), (200, 10, 10)).save(ai, pnginfo=info)
    routed = scanned(runner, db, ai, "--attr", "category=news")
    assert (original["action"], stored_copy["action"], routed["action"]) == (
        "allow",
        "allow",
        "review",
    )

    submit = (
        "notice", "submit", "--type", "ncii", "--item", original["item_id"],
        "--statement", "An intimate image of me posted without consent.",
        "--contact", "me@example.org", "--good-faith", *db,
    )  # fmt: skip
    notice = json.loads(run(runner, *submit, env=no_sweep).stdout)  # its task will not sweep
    assert notice["matched"] and notice["queue"] == "takedown" and not notice["duplicate"]
    assert notice["due_at"] == notice["deadline_at"]
    received = datetime.fromisoformat(notice["received_at"])
    assert (datetime.fromisoformat(notice["deadline_at"]) - received).total_seconds() == 48 * 3600
    again = json.loads(run(runner, *submit).stdout)
    assert again == {**notice, "duplicate": True}
    refused = runner.invoke(
        app, ["notice", "submit", "--type", "ncii", "--item", "x", "--statement", "s", *db]
    )
    assert refused.exit_code == 1 and "good-faith" in refused.output

    claimed = json.loads(run(runner, "review", "claim", "--reviewer", "ann", *db).stdout)
    assert claimed["task_id"] == notice["task_id"]  # before the review task queued earlier
    assert claimed["context"]["takedown"]["deadline_at"] == claimed["due_at"]
    decided = run(
        runner, "review", "decide", claimed["task_id"], "--reviewer", "ann",
        "--verdict", "violating", "--reason", "deepfake_of_real_person", *db,
    )  # fmt: skip
    assert json.loads(decided.stdout)["status"] == "done"

    identical = scanned(runner, db, picture(tmp_path / "reupload.png", 21, text="again"))
    resized = scanned(runner, db, picture(tmp_path / "small.jpg", 21, size=(160, 120), fmt="JPEG"))
    for copy in (identical, resized):
        assert (copy["action"], copy["rule"]) == ("remove", "remove_takedown_copy")
        assert copy["signals"]["hashmatch"]["evidence"]["bank"] == "takedown"

    swept = json.loads(run(runner, "notice", "sweep", *db).stdout)
    assert [c["item_id"] for c in swept["copies_removed"]] == [stored_copy["item_id"]]
    assert swept["copies_removed"][0]["notice_id"] == notice["notice_id"]
    assert json.loads(run(runner, "notice", "sweep", *db).stdout)["copies_removed"] == []

    listed = json.loads(run(runner, "notice", "list", "--format", "json", *db).stdout)
    assert [(r["notice_id"], r["outcome"], r["in_time"]) for r in listed] == [
        (notice["notice_id"], "removed", True)
    ]
    assert "me@example.org" not in json.dumps(listed)
    figures = json.loads(run(runner, "notice", "report", "--format", "json", *db).stdout)
    values = {r["metric"]: r for r in figures if r["notice_type"] == "all"}
    assert values["takedown_requests"]["value"] == 1
    assert values["takedown_removed_within_deadline"]["value"] == 1.0
    assert values["takedown_removed_within_deadline"]["ci_low"] == pytest.approx(0.2065, abs=1e-3)
    assert values["takedown_copies_removed"]["value"] == 3  # two at upload, one swept
    table = run(runner, "notice", "report", "--json", str(tmp_path / "f.json"), *db).stdout
    assert "Takedown requests removed within the deadline" in table and "100%" in table
    assert json.loads((tmp_path / "f.json").read_text())["figures"] == figures


def _count(url: str, query: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql(query).scalar_one())
    except sa.exc.DBAPIError:  # the tables do not exist yet
        return 0
    finally:
        engine.dispose()


NOTICES = "SELECT count(*) FROM events WHERE event_type = 'notice_received'"
TASKS = "SELECT count(*) FROM review_tasks WHERE queue = 'takedown'"
ROWS = "SELECT count(*) FROM imports WHERE kind = 'notice'"


def test_a_killed_notice_submit_never_leaves_a_notice_without_its_task(
    runner: CliRunner, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    item = scanned(runner, ("--db", url), picture(tmp_path / "p.png", 31))["item_id"]
    args = [
        "notice", "submit", "--type", "ncii", "--item", item, "--statement", "mine",
        "--contact", "c@example.org", "--good-faith", "--db", url,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}

    def consistent() -> int:
        notices, tasks, rows = _count(url, NOTICES), _count(url, TASKS), _count(url, ROWS)
        assert notices == tasks == rows, (notices, tasks, rows)
        return notices

    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_WRITE, *args], env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert consistent() == 1  # killed right after the write: both were committed
    rng = random.Random(19)
    for _ in range(4):
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.0, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert consistent() == 1  # the same request: nothing new, never half of it
    other = [a if a != "mine" else "mine, again" for a in args]
    for _ in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", CLI, *other], env=env, stdout=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.5, 3.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert consistent() in (1, 2)
    done = subprocess.run([sys.executable, "-c", CLI, *other], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert consistent() == 2
