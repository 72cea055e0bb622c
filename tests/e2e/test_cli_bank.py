"""``deepscreen bank`` end to end through Typer's runner, on a SQLite database."""

from __future__ import annotations

import hashlib
import io
import json
import random
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from deepscreen.cli.app import app


def picture(path: Path, seed: int, size: int = 320) -> Path:
    """Random shapes on a random ground: enough texture for PDQ quality 100."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size, size), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(24):
        x, y = rng.randrange(size), rng.randrange(size)
        box = (x, y, x + rng.randrange(20, size // 2), y + rng.randrange(20, size // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=fill)
    image.save(path)
    return path


def recompressed(original: Path, path: Path) -> Path:
    """The picture shrunk to 75% and saved as a low-quality JPEG, as a re-upload would be."""
    with Image.open(original) as image:
        image.resize((240, 240)).save(path, "JPEG", quality=60)
    return path


def content_id(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def bank(runner: CliRunner, tmp_path: Path):
    """Run ``deepscreen bank ...`` against one SQLite database."""
    db = f"sqlite:///{tmp_path / 'ds.db'}"

    def run(*args: str, code: int = 0):
        # A wide terminal, so that table cells are not wrapped mid-phrase.
        result = runner.invoke(app, ["bank", *args, "--db", db], env={"COLUMNS": "160"})
        assert result.exit_code == code, result.output
        return result

    return run


def counts(bank) -> dict[str, int]:
    return {b["name"]: b["entries"] for b in json.loads(bank("list", "--format", "json").stdout)}


def test_banked_picture_matches_its_recompressed_copy(bank, tmp_path: Path) -> None:
    a, b = picture(tmp_path / "a.png", 1), picture(tmp_path / "b.png", 2)
    bank("create", "fakes", "--purpose", "block", "--description", "confirmed fakes")
    added = bank("add", "fakes", str(a), str(b), "--reason", "confirmed", "--by", "ana")
    assert len(added.stdout.splitlines()) == 2 and "quality 100" in added.stdout
    assert "2 new entries, 0 already held" in added.stderr
    again = bank("add", "fakes", str(a), "--by", "ana")
    assert "0 new entries, 1 already held" in again.stderr

    copy = recompressed(a, tmp_path / "copy.jpg")
    other = picture(tmp_path / "other.png", 3)
    out = json.loads(bank("match", str(copy), str(other), "--format", "json").stdout)
    assert [len(r["matches"]) for r in out] == [1, 0]
    match = out[0]["matches"][0]
    assert match["bank"] == "fakes" and match["purpose"] == "block"
    assert match["distance"] <= 31 and match["threshold"] == 31
    assert match["banked_item"] == content_id(a)
    assert (match["added_by"], match["reason"]) == ("ana", "confirmed")
    table = bank("match", str(copy)).stdout
    assert "fakes" in table and "block" in table and "ana: confirmed" in table


def test_match_against_an_allow_bank_shows_purpose_allow(bank, tmp_path: Path) -> None:
    original = picture(tmp_path / "original.png", 7)
    bank("create", "originals", "--purpose", "allow", "--threshold", "20")
    bank("add", "originals", str(original), "--reason", "press photo")
    copy = recompressed(original, tmp_path / "copy.jpg")
    [result] = json.loads(bank("match", str(copy), "--format", "json").stdout)
    assert [(m["bank"], m["purpose"]) for m in result["matches"]] == [("originals", "allow")]
    assert "allow" in bank("match", str(copy)).stdout


def test_export_then_import_into_another_bank_copies_every_entry(bank, tmp_path: Path) -> None:
    bank("create", "fakes", "--purpose", "block")
    bank("create", "copy", "--purpose", "block")
    bank("create", "plain", "--purpose", "block")
    paths = [str(picture(tmp_path / f"p{n}.png", n)) for n in range(3)]
    bank("add", "fakes", *paths, "--reason", "confirmed", "--by", "ana")
    exported = tmp_path / "fakes.csv"
    bank("export", "fakes", "--output", str(exported))
    assert len(exported.read_text().splitlines()) == 4  # header + 3
    imported = bank("import", "copy", str(exported), "--by", "bo")
    assert "read 3 entries, added 3, skipped 0" in imported.stderr
    assert bank("export", "copy").stdout == exported.read_text()  # every field kept

    hma = bank("export", "fakes", "--format", "hma").stdout
    assert len(hma.splitlines()) == 3
    (tmp_path / "fakes.txt").write_text(hma)
    bank("import", "plain", str(tmp_path / "fakes.txt"), "--format", "hma")
    again = bank("import", "plain", str(tmp_path / "fakes.txt"), "--format", "hma")
    assert "added 0, skipped 3" in again.stderr
    assert counts(bank) == {"copy": 3, "fakes": 3, "plain": 3}


def test_import_lists_bad_lines_and_imports_nothing(bank, tmp_path: Path) -> None:
    bank("create", "partner", "--purpose", "block")
    lines = ["a" * 64, "not-a-hash", "b" * 64, "A" * 64]
    (tmp_path / "partner.txt").write_text("\n".join(lines) + "\n")
    result = bank("import", "partner", str(tmp_path / "partner.txt"), "--format", "hma", code=1)
    assert "refused, nothing imported (2 bad lines)" in result.stderr
    assert "line 2: 'not-a-hash' is not a PDQ hash" in result.stderr
    assert f"line 4: hash {'a' * 64!r} repeats line 1" in result.stderr
    assert counts(bank) == {"partner": 0}


def test_flat_image_is_refused_with_its_quality(bank, tmp_path: Path) -> None:
    bank("create", "fakes", "--purpose", "block")
    flat = tmp_path / "flat.png"
    Image.new("RGB", (300, 300), (10, 20, 30)).save(flat)
    good = picture(tmp_path / "good.png", 1)
    result = bank("add", "fakes", str(flat), str(good), code=1)
    assert "flat.png: PDQ quality 0 is below 50" in result.stderr
    assert "1 new entries, 0 already held, 1 files refused" in result.stderr
    assert counts(bank) == {"fakes": 1}


def test_unknown_and_taken_bank_names_exit_1_with_a_message(bank, tmp_path: Path) -> None:
    bank("create", "fakes", "--purpose", "block")
    taken = bank("create", "fakes", "--purpose", "allow", code=1)
    assert "bank 'fakes' already exists" in taken.stderr
    output = tmp_path / "out.csv"
    missing = bank("export", "nope", "--output", str(output), code=1)
    assert "bank 'nope' does not exist" in missing.stderr and not output.exists()
    bank("add", "nope", str(picture(tmp_path / "a.png", 1)), code=1)
    bad = bank("create", "Bad-Name", "--purpose", "block", code=1)
    assert "lower_snake_case" in bad.stderr


def test_first_import_into_the_closed_loop_bank_creates_it(bank, tmp_path: Path) -> None:
    """Issue 17: on a fresh database `bank import confirmed_deepfakes` failed, the bank only
    appearing after the first banking review."""
    hashes = tmp_path / "shared.txt"
    hashes.write_text("".join(f"{n:064x}\n" for n in range(1, 4)))
    imported = bank("import", "confirmed_deepfakes", str(hashes), "--format", "hma", "--by", "ana")
    assert "read 3 entries, added 3" in imported.stderr
    [row] = json.loads(bank("list", "--format", "json").stdout)
    assert (row["name"], row["purpose"], row["entries"], row["created_by"]) == (
        "confirmed_deepfakes",
        "block",
        3,
        "ana",
    )
    again = bank("import", "confirmed_deepfakes", str(hashes), "--format", "hma")
    assert "added 0, skipped 3 already held" in again.stderr


def test_an_unknown_bank_still_fails_saying_how_to_create_it(bank, tmp_path: Path) -> None:
    hashes = tmp_path / "shared.txt"
    hashes.write_text(f"{1:064x}\n")
    typo = bank("import", "confirmed_deepfake", str(hashes), "--format", "hma", code=1)
    assert "bank 'confirmed_deepfake' does not exist: create it first with" in typo.stderr
    assert "`deepscreen bank create confirmed_deepfake --purpose block`" in typo.stderr
    assert "only confirmed_deepfakes (the closed loop's) is created on first use" in typo.stderr
    assert counts(bank) == {}  # no bank made from a typo
    refused = tmp_path / "bad.txt"
    refused.write_text("not a hash\n")
    bank("import", "confirmed_deepfakes", str(refused), "--format", "hma", code=1)
    assert counts(bank) == {}  # a refused file creates nothing either
    bank("add", "confirmed_deepfakes", str(picture(tmp_path / "a.png", 1)))
    assert counts(bank) == {"confirmed_deepfakes": 1}


def test_list_shows_purpose_threshold_and_counts(bank) -> None:
    bank("create", "originals", "--purpose", "allow", "--threshold", "20", "--by", "ana")
    table = bank("list").stdout
    assert "originals" in table and "allow" in table and "20" in table and "ana" in table
    [row] = json.loads(bank("list", "--format", "json").stdout)
    assert (row["purpose"], row["threshold"], row["entries"]) == ("allow", 20, 0)


def test_import_prints_no_progress_when_piped(bank, tmp_path: Path) -> None:
    bank("create", "partner", "--purpose", "block")
    buffer = io.StringIO()
    buffer.writelines(f"{n:064x}\n" for n in range(50_000))
    (tmp_path / "big.txt").write_text(buffer.getvalue())
    result = bank("import", "partner", str(tmp_path / "big.txt"), "--format", "hma")
    assert (
        result.stderr == "bank partner: read 50000 entries, added 50000, skipped 0 already held\n"
    )


def test_a_badly_named_closed_loop_bank_is_a_settings_error(runner, tmp_path: Path) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text('[banking]\nbank = "Confirmed-Deepfakes"\n')
    hashes = tmp_path / "shared.txt"
    hashes.write_text(f"{1:064x}\n")
    db = f"sqlite:///{tmp_path / 'ds.db'}"
    args = ["bank", "import", "Confirmed-Deepfakes", str(hashes), "--format", "hma"]
    result = runner.invoke(app, [*args, "--config", str(config), "--db", db])
    assert result.exit_code == 3 and "[banking] bank: bank name" in result.output
