"""Fixtures for CLI tests: a runner and a small folder of media made in the test."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.cli.app import app

A1111 = (
    "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    (folder / "sub").mkdir(parents=True)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    Image.new("RGB", (64, 48), (200, 10, 10)).save(folder / "ai.png", pnginfo=info)
    Image.new("RGB", (64, 48), (10, 200, 10)).save(folder / "sub" / "photo.jpg", quality=90)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (1, 2, 3)).save(buf, "JPEG")
    (folder / "truncated.jpg").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    (folder / "notes.png").write_text("not an image")
    return folder


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small demo (150 items, the default seed) per test session: its database holds
    scores, ground-truth labels and views, the inputs of the impact commands and reports.
    Tests read it; none may write to it (the report golden files are rendered from it)."""
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--items", "150"])
    assert result.exit_code == 0, result.output
    return out
