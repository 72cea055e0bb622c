"""Labelled sets from folders and CSV files; nothing dropped silently."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from deepscreen.learn.dataset import DatasetInvalid, load_labelled


def write(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8)).save(path)
    return path


def test_folders_give_labels_and_sources(tmp_path: Path) -> None:
    for name in ("ai/sdxl/a.png", "ai/sdxl/b.png", "ai/c.png", "real/cam/d.jpg", "real/e.jpg"):
        write(tmp_path / name)
    (tmp_path / "ai" / "notes.txt").write_text("x")
    write(tmp_path / "ai" / ".hidden" / "f.png")
    dataset = load_labelled(tmp_path)
    got = {(p.path.name, p.label, p.source) for p in dataset.items}
    assert got == {
        ("a.png", 1, "sdxl"),
        ("b.png", 1, "sdxl"),
        ("c.png", 1, ""),
        ("d.jpg", 0, "cam"),
        ("e.jpg", 0, ""),
    }
    assert dataset.counts() == {"ai": 3, "real": 2}


def test_custom_class_names(tmp_path: Path) -> None:
    for name in ("fake/a.png", "fake/b.png", "authentic/c.png", "authentic/d.png"):
        write(tmp_path / name)
    assert load_labelled(tmp_path, positive="fake", negative="authentic").counts() == {
        "ai": 2,
        "real": 2,
    }


def test_missing_class_folder_names_what_was_found(tmp_path: Path) -> None:
    write(tmp_path / "ai" / "a.png")
    write(tmp_path / "photos" / "b.png")
    with pytest.raises(DatasetInvalid, match=r"missing 'real' \(found: ai, photos\)"):
        load_labelled(tmp_path)


def test_too_few_images_per_class(tmp_path: Path) -> None:
    for name in ("ai/a.png", "real/b.png", "real/c.png"):
        write(tmp_path / name)
    with pytest.raises(DatasetInvalid, match="at least 2 images of each class"):
        load_labelled(tmp_path)


def test_csv_with_sources_and_numeric_labels(tmp_path: Path) -> None:
    for name in ("img/a.png", "img/b.png", "img/c.png", "img/d.png"):
        write(tmp_path / name)
    csv = tmp_path / "labels.csv"
    csv.write_text(
        "path,label,source\nimg/a.png,ai,sdxl\nimg/b.png,1,mj\nimg/c.png,real,cam\n\nimg/d.png,0,\n"
    )
    dataset = load_labelled(csv)
    assert [(i.label, i.source) for i in dataset.items] == [
        (1, "sdxl"),
        (1, "mj"),
        (0, "cam"),
        (0, ""),
    ]


def test_csv_errors_name_every_bad_line(tmp_path: Path) -> None:
    write(tmp_path / "a.png")
    csv = tmp_path / "labels.csv"
    csv.write_text("path,label\na.png,maybe\nmissing.png,ai\nonlypath\n")
    with pytest.raises(DatasetInvalid) as error:
        load_labelled(csv)
    message = str(error.value)
    assert "3 bad line(s)" in message
    assert "line 2: label 'maybe'" in message and "line 3: 'missing.png' does not exist" in message
    csv.write_text("file,class\n")
    with pytest.raises(DatasetInvalid, match="header"):
        load_labelled(csv)


def test_neither_folder_nor_csv(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(DatasetInvalid, match="neither a folder"):
        load_labelled(tmp_path / "x.txt")
