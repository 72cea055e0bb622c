"""``deepscreen sample`` from the command line (registered here on a small app: the main app
registers it as ``app.command("sample")(sample.sample)``)."""

from __future__ import annotations

import csv
import json

import pytest
import typer
from PIL import Image, PngImagePlugin

from deepscreen.cli.app import app as main_app
from deepscreen.cli.sample import sample

A1111 = "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"

app = typer.Typer(rich_markup_mode="markdown")
app.command("sample")(sample)


@app.callback()
def _main() -> None:
    """A group, so that ``sample`` stays a sub-command as in the main app."""


@pytest.fixture
def db(runner, tmp_path) -> list[str]:
    folder = tmp_path / "media"
    folder.mkdir()
    for i in range(16):
        info = PngImagePlugin.PngInfo()
        if i % 3 == 0:
            info.add_text("parameters", A1111)
        colour = (i * 13 % 256, 255 - i * 9, i * 37 % 256)
        Image.new("RGB", (48, 32), colour).save(folder / f"img{i:02d}.png", pnginfo=info)
    option = ["--db", f"sqlite:///{tmp_path / 'sample.db'}"]
    scanned = runner.invoke(main_app, ["scan", str(folder), *option])
    assert scanned.exit_code == 0, scanned.output
    return option


def test_sample_prints_strata_and_writes_the_csv(runner, tmp_path, db):
    out = tmp_path / "to_label.csv"
    result = runner.invoke(app, ["sample", "12", str(out), "--seed", "4", *db])
    assert result.exit_code == 0, result.output
    assert "actioned" in result.stdout and "non_actioned" in result.stdout
    assert "no_score" in result.stdout and "incl. prob." in result.stdout
    assert "to_label.csv" in result.stdout
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 13  # 12 stratified + ceil(2% of the 3 non-actioned items left)
    assert {r["draw"] for r in rows} == {"stratified", "exploration"}


def test_json_format_and_the_same_seed_draws_the_same_items(runner, tmp_path, db):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    args = ["12", "--seed", "9", "--exploration", "0", "--format", "json", *db]
    one = runner.invoke(app, ["sample", *args[:1], str(first), *args[1:]])
    two = runner.invoke(app, ["sample", *args[:1], str(second), *args[1:]])
    assert one.exit_code == two.exit_code == 0, one.output + two.output
    record = json.loads(one.stdout)
    assert record["seed"] == 9 and record["units"] == 12 and record["exploration"] == 0
    assert sum(s["allocated"] for s in record["strata"]) == 12
    with first.open(encoding="utf-8") as a, second.open(encoding="utf-8") as b:
        ids_a = sorted(r["item_id"] for r in csv.DictReader(a))
        ids_b = sorted(r["item_id"] for r in csv.DictReader(b))
    assert ids_a == ids_b


def test_too_small_a_sample_says_what_to_change(runner, tmp_path, db):
    result = runner.invoke(app, ["sample", "4", str(tmp_path / "x.csv"), *db])
    assert result.exit_code == 1
    assert "below the floor total 10" in result.output and "lower the floor" in result.output
    assert not (tmp_path / "x.csv").exists()


def test_bad_edges_are_a_usage_error(runner, tmp_path, db):
    out = str(tmp_path / "x.csv")
    result = runner.invoke(app, ["sample", "12", out, "--edges", "a,b", *db])
    assert result.exit_code == 2 and "--edges expects numbers" in result.output
    result = runner.invoke(app, ["sample", "12", out, "--edges", "0.5,0.2", *db])
    assert result.exit_code == 1 and "strictly increasing" in result.output


def test_empty_store_is_an_error(runner, tmp_path):
    db = ["--db", f"sqlite:///{tmp_path / 'empty.db'}"]
    result = runner.invoke(app, ["sample", "10", str(tmp_path / "x.csv"), *db])
    assert result.exit_code == 1 and "no scanned items" in result.output


def test_help_explains_the_design_and_where_labels_go(runner):
    result = runner.invoke(app, ["sample", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Neyman allocation" in text and "--exploration" in text
    assert "deepscreen review record" in text and "import" in text
    assert "recall needs the non-actioned strata labelled too" in text
