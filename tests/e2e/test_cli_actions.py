"""`deepscreen actions` on one SQLite file: the feed as a table and as JSON, paged with
`--after`/`--limit` (the cursor printed on stderr), and `--follow` printing JSON lines until
Ctrl-C."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.cli import actions as cli_actions
from deepscreen.cli.app import app
from deepscreen.service.actions import action_page

SETTINGS = """
detectors = ["c2pa", "hashmatch", "metadata", "watermark"]
[review]
gold_share = 0.0
"""
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    """A store holding three scans: an allowed photo, a labelled and a routed AI image."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deepscreen.toml").write_text(SETTINGS)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), (10, 200, 10)).save(tmp_path / "photo.png")
    Image.new("RGB", (64, 48), (200, 10, 10)).save(tmp_path / "art.png", pnginfo=info)
    Image.new("RGB", (64, 48), (10, 10, 200)).save(tmp_path / "news.png", pnginfo=info)
    option = ("--db", f"sqlite:///{tmp_path / 'feed.db'}")
    run("scan", "photo.png", *option)
    run("scan", "art.png", "--attr", "category=art", *option)
    run("scan", "news.png", "--attr", "category=news", *option)
    return option


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_the_feed_as_json_holds_every_change_with_its_cursor(db: tuple[str, str]) -> None:
    result = run("actions", "--format", "json", *db)
    rows = json.loads(result.stdout)
    assert [(r["source"], r["action"]) for r in rows] == [
        ("policy", "allow"),
        ("policy", "label"),
        ("policy", "review"),
    ]
    assert set(rows[0]) >= {"seq", "item_id", "decision_id", "notice_id", "reviewer", "verdict"}
    assert f"next: --after {rows[-1]['seq']}" in result.stderr
    # paged: the first two, then the rest from the cursor printed
    first = run("actions", "--format", "json", "--limit", "2", *db)
    assert [r["seq"] for r in json.loads(first.stdout)] == [r["seq"] for r in rows[:2]]
    assert "more: run again" in first.stderr
    rest = run("actions", "--format", "json", "--after", str(rows[1]["seq"]), *db)
    assert json.loads(rest.stdout) == rows[2:]


def test_the_feed_as_a_table(db: tuple[str, str]) -> None:
    out = run("actions", *db).stdout
    header = out.splitlines()[1]
    for column in ("seq", "item_id", "action", "source", "occurred_at", "notice_id", "reviewer"):
        assert column in header
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines()]
    assert [row[2:4] for row in rows if row] == [
        ["allow", "policy"],
        ["label", "policy"],
        ["review", "policy"],
    ]
    past = run("actions", "--after", "999999", *db)
    assert "no changes" in past.stdout and "next: --after 999999" in past.stderr


def test_a_bad_limit_is_a_usage_error(db: tuple[str, str]) -> None:
    result = CliRunner().invoke(app, ["actions", "--limit", "0", *db])
    assert result.exit_code == 2


def test_follow_prints_json_lines_until_interrupted(
    db: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    polls: list[float] = []

    def interrupted(seconds: float) -> None:
        polls.append(seconds)
        raise KeyboardInterrupt

    def at_most_ten_pages(*args, **kwargs):  # a cursor that does not move fails, not hangs
        pages.append(kwargs["after"])
        if len(pages) > 10:
            raise KeyboardInterrupt
        return action_page(*args, **kwargs)

    pages: list[int] = []
    monkeypatch.setattr(time, "sleep", interrupted)
    monkeypatch.setattr(cli_actions, "action_page", at_most_ten_pages)
    result = run("actions", "--follow", "--every", "0.5", "--limit", "2", "--format", "json", *db)
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["action"] for r in lines] == ["allow", "label", "review"]  # two pages, one poll
    assert polls == [0.5] and len(pages) == 2
    assert f"next: --after {lines[-1]['seq']}" in result.stderr
