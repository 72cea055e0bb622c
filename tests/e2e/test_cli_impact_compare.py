"""``impact compare``: replay a candidate policy on a scanned store and compare (own Typer app:
the lead registers the command under ``deepscreen impact compare``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
import yaml
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import default_policy_dir
from deepscreen.cli.app import app as deepscreen_app
from deepscreen.cli.impact_compare import compare

A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


def impact_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_enable=False, add_completion=False)

    @app.callback()
    def impact() -> None:
        """Impact commands."""

    app.command("compare")(compare)
    return app


def ai_png(path: Path, colour: tuple[int, int, int]) -> Path:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), colour).save(path, pnginfo=info)
    return path


@pytest.fixture
def store(runner, tmp_path: Path) -> list[str]:
    """Two declared-AI art images (labelled), one declared-AI news image (review), one photo."""
    folder = tmp_path / "media"
    (folder / "art").mkdir(parents=True)
    (folder / "news").mkdir()
    ai_png(folder / "art" / "a.png", (200, 10, 10))
    ai_png(folder / "art" / "b.png", (10, 10, 200))
    Image.new("RGB", (64, 48), (10, 200, 10)).save(folder / "art" / "photo.jpg", quality=90)
    ai_png(folder / "news" / "c.png", (90, 90, 9))
    db = ["--db", f"sqlite:///{tmp_path / 'store.db'}"]
    for category in ("art", "news"):
        result = runner.invoke(
            deepscreen_app, ["scan", str(folder / category), "--attr", f"category={category}", *db]
        )
        assert result.exit_code == 0, result.output
    return db


def candidate_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "candidate"
    shutil.copytree(default_policy_dir(), directory)
    (directory / "policy_test.yaml").unlink()
    path = directory / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    for rule in policy["rules"]:
        if rule["id"] == "label_declared_ai":
            rule["action"] = {"type": "remove", "reason": "ai_generated"}
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return directory


def test_compare_prints_both_revisions_and_writes_json(runner, store, tmp_path) -> None:
    out = tmp_path / "compare.json"
    directory = candidate_dir(tmp_path)
    args = ["compare", str(directory), *store, "--json", str(out), "--n-boot", "200"]
    result = runner.invoke(impact_app(), args, env=WIDE)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["items_replayed"] == 4 and report["items_changed"] == 2
    assert report["items_lacking_signals"] == 0
    assert report["baseline_revision"] != report["candidate_revision"]
    assert report["baseline_revision"] in result.stdout
    assert report["candidate_revision"] in result.stdout
    assert "items replayed: 4" in result.stdout
    # no [costs]: the review cost is left out with the missing setting named, never a zero
    assert "cost assumptions: none configured (settings [costs])" in result.stdout
    assert report["cost_assumptions"] == []
    [review_note, total_note] = report["cost_notes"]
    assert review_note.startswith("review_cost not computed")
    assert "settings [costs].review_cost_per_item" in review_note
    assert total_note.startswith("total_cost not computed")
    assert review_note in result.stdout and "total_cost not computed" in result.stdout
    rows = {m["metric"]: m for m in report["metrics"]}
    assert rows["action_share.label"]["baseline"] == 0.5
    assert rows["action_share.label"]["candidate"] == 0.0
    assert rows["action_share.remove"]["delta"] == 0.5
    assert rows["sent_to_review"]["delta"] == 0.0
    assert rows["precision_any_action"]["verdict"] == "not estimable"  # nothing is labelled
    assert "review_cost" not in rows and "total_cost" not in rows
    # nothing is labelled: no wrongful action, no violating view, so those costs are exactly 0
    assert rows["wrongful_action_cost"]["baseline"] == rows["harm"]["candidate"] == 0.0
    assert "Share of items decided remove" in result.stdout  # labels, not ids, in the table
    assert "delta [95% CI]" in result.stdout


def test_same_policy_changes_nothing_and_costs_are_shown(runner, store, tmp_path) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text(
        "[costs]\nreview_cost_per_item = 2.5\n[costs.wrongful_action_cost]\nremove = 40.0\n"
    )
    out = tmp_path / "same.json"
    args = ["compare", str(default_policy_dir()), *store, "--config", str(config)]
    result = runner.invoke(impact_app(), [*args, "--json", str(out), "--n-boot", "200"], env=WIDE)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["items_changed"] == 0
    assert report["baseline_revision"] == report["candidate_revision"]
    rows = {m["metric"]: m for m in report["metrics"]}
    assert rows["review_cost"]["baseline"] == rows["review_cost"]["candidate"] == 2.5
    assert rows["total_cost"]["baseline"] == 2.5 and report["cost_notes"] == []
    assert {m["verdict"] for m in report["metrics"]} <= {"no significant change", "not estimable"}
    assert "cost assumptions (costs in USD, totals over the 4 compared items):" in result.stdout
    assert "review cost per item: 2.50 USD (settings [costs].review_cost_per_item)" in result.stdout
    assert "wrongful-action cost, remove: 40.00 USD per wrongful action" in result.stdout
    assert "cost rows left out" not in result.stdout


def test_period_and_baseline_are_checked(runner, store, tmp_path) -> None:
    directory = str(candidate_dir(tmp_path))
    unknown = runner.invoke(impact_app(), ["compare", directory, *store, "--baseline", "r-x"])
    assert unknown.exit_code == 1 and "r-x" in unknown.output
    future = runner.invoke(impact_app(), ["compare", directory, *store, "--since", "2999-01-01"])
    assert future.exit_code == 1 and "no stored items were ingested" in future.output
    bad = runner.invoke(impact_app(), ["compare", directory, *store, "--until", "yesterday"])
    assert bad.exit_code == 2 and "ISO date" in bad.output


def test_a_candidate_reading_unknown_signals_is_refused(runner, store, tmp_path) -> None:
    directory = candidate_dir(tmp_path)
    path = directory / "policy.yaml"
    path.write_text(path.read_text().replace("signals.c2pa.", "signals.nosuch."))
    result = runner.invoke(impact_app(), ["compare", str(directory), *store])
    assert result.exit_code == 3 and "unknown signal 'nosuch'" in result.output


def test_help_explains_exact_replay_and_labelled_metrics(runner) -> None:
    result = runner.invoke(impact_app(), ["compare", "--help"], env=WIDE)
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    assert "replay is exact because a decision is a pure function" in text
    assert "use the labelled items only" in text
