"""``deepscreen review record`` closes the loop from the command line."""

from __future__ import annotations

import json
from importlib.resources import files

from PIL import Image

from deepscreen.cli.app import app


def test_confirmed_deepfake_is_banked_and_its_reupload_removed(runner, tmp_path):
    with Image.open(files("skimage.data") / "astronaut.png") as im:
        photo = im.convert("RGB")
    photo.save(tmp_path / "original.jpg", quality=92)
    w, h = photo.size
    photo.crop((5, 5, w - 5, h - 5)).resize((384, 384)).save(tmp_path / "reupload.jpg", quality=70)
    db = ["--db", f"sqlite:///{tmp_path / 'loop.db'}"]
    first = json.loads(runner.invoke(app, ["scan", str(tmp_path / "original.jpg"), *db]).stdout)
    result = runner.invoke(
        app,
        [
            "review",
            "record",
            first["item_id"],
            "--verdict",
            "violating",
            "--label",
            "deepfake",
            "--reviewer",
            "alice",
            *db,
        ],
    )
    assert result.exit_code == 0, result.output
    recorded = json.loads(result.stdout)
    assert recorded["banked"][0]["bank"] == "confirmed_deepfakes"
    again = json.loads(runner.invoke(app, ["scan", str(tmp_path / "reupload.jpg"), *db]).stdout)
    assert again["action"] == "remove" and again["rule"] == "remove_known_deepfake"


def test_unknown_item_is_an_error(runner, tmp_path):
    result = runner.invoke(
        app,
        [
            "review",
            "record",
            "sha256:nope",
            "--verdict",
            "violating",
            "--reviewer",
            "a",
            "--db",
            f"sqlite:///{tmp_path / 'x.db'}",
        ],
    )
    assert result.exit_code == 1 and "no scanned item" in result.output
