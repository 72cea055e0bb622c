"""Bootstrap builds the configured detectors and the ensemble from settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.bootstrap import configured_detectors, make_ensemble, vendor_config
from deepscreen.core.errors import ConfigError
from deepscreen.core.files import write_json_atomic
from deepscreen.settings import EnsembleSettings, Settings, VendorSettings
from deepscreen.signals.ensemble import StackModel
from deepscreen.signals.faces.detector import FacesDetector
from deepscreen.signals.hashmatch.banks import BankMatcher
from deepscreen.signals.learned.detector import LearnedDetector
from deepscreen.signals.vendor.detector import VendorDetector


def test_learned_faces_and_vendor_are_built_only_when_enabled(tmp_path: Path) -> None:
    matcher = BankMatcher()
    default = configured_detectors(Settings(), matcher)
    assert set(default) == {"hashmatch", "learned", "faces"}
    provenance_only = Settings(detectors=["c2pa", "hashmatch", "metadata", "watermark"])
    assert set(configured_detectors(provenance_only, matcher)) == {"hashmatch"}
    settings = Settings(
        detectors=["learned", "vendor"],
        learned={"head": str(tmp_path / "head.json"), "threads": 2},
        vendor={"url": "http://127.0.0.1:9/score", "score": "result.ai", "scale": 100},
    )
    built = configured_detectors(settings, matcher)
    assert isinstance(built["learned"], LearnedDetector)
    assert isinstance(built["vendor"], VendorDetector)
    config = built["vendor"].config
    assert config is not None and config.scale == 100 and config.score == "result.ai"
    assert config.max_response_bytes == 1_000_000
    faces = configured_detectors(
        Settings(detectors=["faces"], faces={"head": "face.json", "max_faces": 3}), matcher
    )["faces"]
    assert isinstance(faces, FacesDetector) and faces.max_faces == 3


def test_vendor_key_comes_from_the_named_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = VendorSettings(url="https://api.example/v1", api_key_env="DS_TEST_VENDOR_KEY")
    monkeypatch.delenv("DS_TEST_VENDOR_KEY", raising=False)
    with pytest.raises(ConfigError, match="DS_TEST_VENDOR_KEY"):
        vendor_config(settings)
    monkeypatch.setenv("DS_TEST_VENDOR_KEY", "s3cret")
    config = vendor_config(settings)
    assert config is not None and config.api_key == "s3cret"
    assert "s3cret" not in repr(config)
    assert vendor_config(VendorSettings()) is None  # no url: the detector will say so on load


def test_ensemble_from_settings(tmp_path: Path) -> None:
    assert make_ensemble(EnsembleSettings()) is None
    vote = make_ensemble(EnsembleSettings(enabled=True, trust={"vendor": 0.5}))
    assert vote is not None and vote.trust == {"vendor": 0.5} and vote.band == (0.35, 0.65)
    stack = StackModel(("learned",), (2.0,), (0.0,), -1.0)
    write_json_atomic(tmp_path / "stack.json", stack.to_dict())
    stacked = make_ensemble(
        EnsembleSettings(enabled=True, method="stacked", stack=str(tmp_path / "stack.json"))
    )
    assert stacked is not None and stacked.stack == stack
    with pytest.raises(ConfigError, match="needs \\[ensemble\\] stack"):
        make_ensemble(EnsembleSettings(enabled=True, method="stacked"))
