"""Suite-wide defaults.

The default settings enable the ``learned`` detector with the shipped AI-image head, whose CLIP
encoder `scripts/setup` installs into the model cache. The suite points the cache at an empty
folder, so every test sees that detector abstain ("model clip-vit-b16 is not installed") unless
it opts in: tests of the default detector use the ``installed_models_dir`` fixture (the real
cache) or tiny generated models. That keeps thousands of scans fast and their decisions the
provenance detectors' alone.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from deepscreen.signals.models.catalogue import default_models_dir  # noqa: E402

REAL_MODELS_DIR = default_models_dir()  # read before the suite points the variable elsewhere


@pytest.fixture(autouse=True, scope="session")
def _empty_model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEEPSCREEN_MODELS_DIR", str(tmp_path_factory.mktemp("no-models")))
        yield


@pytest.fixture
def installed_models_dir() -> Path:
    """The real model cache; under CI a missing CLIP encoder fails the test (setup installs
    it), elsewhere it skips."""
    return _installed("clip-vit-b16")


@pytest.fixture
def face_models_dir() -> Path:
    """The real model cache holding the face finder (BlazeFace), as ``installed_models_dir``."""
    return _installed("blazeface-full-range")


def _installed(name: str) -> Path:
    directory = REAL_MODELS_DIR
    if not (directory / name / "model.toml").is_file():
        message = f"model {name} is not installed in {directory} (run scripts/setup)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return directory
