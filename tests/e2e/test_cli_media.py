"""``deepscreen media``: scanning keeps the media of items sent to review or actioned; `status`
shows the store, `purge` deletes what retention no longer allows (keeping copies an open task
still needs) and is idempotent, `delete` erases one copy, `keygen` makes a Fernet key."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cryptography.fernet import Fernet
from PIL import Image, PngImagePlugin

from deepscreen.cli.app import app

A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x48"


def _png(path: Path, colour: tuple[int, int, int], ai: bool = True) -> Path:
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), colour).save(path, pnginfo=info)
    return path


def _config(tmp_path: Path, retention_days: float) -> list[str]:
    config = tmp_path / "deepscreen.toml"
    config.write_text(
        f'db_url = "sqlite:///{tmp_path / "ds.db"}"\n'
        "[media_store]\n"
        'backend = "local"\n'
        f'path = "{tmp_path / "media"}"\n'
        f"retention_days = {retention_days}\n"
    )
    return ["--config", str(config)]


def test_scan_keeps_media_and_purge_deletes_it_when_retention_ends(runner, tmp_path):
    config = _config(tmp_path, retention_days=1 / 86_400)  # one second
    news = _png(tmp_path / "news.png", (1, 2, 3))
    art = _png(tmp_path / "art.png", (4, 5, 6))
    photo = _png(tmp_path / "photo.png", (7, 8, 9), ai=False)
    for path, category in ((news, "news"), (art, "art"), (photo, "art")):
        result = runner.invoke(app, ["scan", str(path), "--attr", f"category={category}", *config])
        assert result.exit_code == 0, result.output
    status = json.loads(runner.invoke(app, ["media", "status", "--json", *config]).stdout)
    assert (status["copies"], status["open_tasks"], status["open_tasks_without_copy"]) == (2, 1, 0)
    assert status["encrypted"] is False

    time.sleep(1.2)
    dry = runner.invoke(app, ["media", "purge", "--dry-run", *config])
    assert dry.exit_code == 0 and "would delete 1 whose retention ended" in dry.stdout
    purged = runner.invoke(app, ["media", "purge", *config])
    assert purged.exit_code == 0, purged.output
    assert purged.stdout.splitlines()[:4] == [
        "examined 2 retained copies",
        "  deleted 1 whose retention ended",
        "  deleted 0 of items restored after an appeal",
        "  kept 1 past retention for a task still open",
    ]
    again = runner.invoke(app, ["media", "purge", *config])
    assert "  deleted 0 whose retention ended" in again.stdout  # idempotent
    shown = runner.invoke(app, ["media", "status", *config]).stdout
    assert "deleted (retention ended): 1" in shown and "copies kept: 1" in shown


def test_delete_erases_one_copy_and_keygen_makes_a_fernet_key(runner, tmp_path):
    config = _config(tmp_path, retention_days=30)
    news = _png(tmp_path / "news.png", (1, 2, 3))
    scanned = runner.invoke(app, ["scan", str(news), "--attr", "category=news", *config])
    item_id = json.loads(scanned.stdout)["item_id"]
    deleted = runner.invoke(app, ["media", "delete", item_id, *config])
    assert deleted.exit_code == 0 and deleted.stdout.strip() == f"deleted the copy of {item_id}"
    again = runner.invoke(app, ["media", "delete", item_id, *config])
    assert again.stdout.strip() == f"no copy of {item_id} is kept"
    key = runner.invoke(app, ["media", "keygen"]).stdout.strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_purge_with_retention_off_is_a_config_error(runner, tmp_path):
    result = runner.invoke(app, ["media", "purge", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 3 and "media retention is off" in result.output
