"""Detector discovery and loading, with fake entry points (no installed plug-ins needed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import pytest

from deepscreen.core.errors import DetectorLoadFailed, PluginConflict, PluginError
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.signals import registry
from deepscreen.signals.metadata.detector import MetadataDetector


class AlphaDetector:
    name: ClassVar[str] = "alpha"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def __init__(self) -> None:
        self.loads = 0

    def load(self) -> None:
        self.loads += 1

    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, "fake")

    def get_examples(self) -> list[MediaItem]:
        return []


class OtherAlphaDetector(AlphaDetector):
    pass


class BrokenLoadDetector(AlphaDetector):
    name: ClassVar[str] = "broken"

    def load(self) -> None:
        raise FileNotFoundError("weights.onnx")


@dataclass
class FakeEntryPoint:
    name: str
    target: Any
    value: str = "fake.module:Fake"

    def load(self) -> Any:
        if isinstance(self.target, BaseException):
            raise self.target
        return self.target


def test_discover_returns_classes_by_name() -> None:
    found = registry.discover([FakeEntryPoint("alpha", AlphaDetector)])
    assert found == {"alpha": AlphaDetector}


def test_discover_reads_the_installed_group_when_no_points_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    groups: list[str] = []

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        groups.append(group)
        return [FakeEntryPoint("alpha", AlphaDetector)]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    assert registry.discover() == {"alpha": AlphaDetector}
    assert groups == ["deepscreen.signals"]


def test_installed_metadata_detector_is_discovered() -> None:
    assert registry.discover()["metadata"] is MetadataDetector


def test_conflict_when_two_classes_claim_one_name() -> None:
    points = [
        FakeEntryPoint("alpha", AlphaDetector, "pkg_a:AlphaDetector"),
        FakeEntryPoint("alpha", OtherAlphaDetector, "pkg_b:OtherAlphaDetector"),
    ]
    with pytest.raises(PluginConflict, match="pkg_a:AlphaDetector.*pkg_b:OtherAlphaDetector"):
        registry.discover(points)


def test_same_class_registered_twice_is_not_a_conflict() -> None:
    points = [FakeEntryPoint("alpha", AlphaDetector), FakeEntryPoint("alpha", AlphaDetector)]
    assert registry.discover(points) == {"alpha": AlphaDetector}


def test_plugin_error_when_entry_point_name_differs_from_class_name() -> None:
    with pytest.raises(PluginError, match="'beta' does not match AlphaDetector.name 'alpha'"):
        registry.discover([FakeEntryPoint("beta", AlphaDetector)])


def test_load_failed_names_the_entry_point_when_import_fails() -> None:
    error = ModuleNotFoundError("No module named 'onnxruntime'")
    with pytest.raises(DetectorLoadFailed, match="'clip_head'.*onnxruntime") as info:
        registry.discover([FakeEntryPoint("clip_head", error, "pkg.clip:ClipHead")])
    assert info.value.__cause__ is error


@pytest.mark.parametrize("target", [lambda: None, 42, object])
def test_plugin_error_when_entry_point_is_not_a_detector_class(target: Any) -> None:
    with pytest.raises(PluginError, match="'thing'"):
        registry.discover([FakeEntryPoint("thing", target)])


def test_load_detectors_instantiates_and_loads_in_order() -> None:
    available = {"alpha": AlphaDetector, "metadata": MetadataDetector}
    detectors = registry.load_detectors(["metadata", "alpha", "alpha"], available)
    assert [d.name for d in detectors] == ["metadata", "alpha"]
    assert isinstance(detectors[1], AlphaDetector) and detectors[1].loads == 1


def test_load_detectors_lists_available_names_for_unknown_name() -> None:
    with pytest.raises(
        PluginError, match=r"unknown detector\(s\) 'nope'; available: alpha, metadata"
    ):
        registry.load_detectors(["nope"], {"metadata": MetadataDetector, "alpha": AlphaDetector})


def test_load_detectors_wraps_load_failure_with_cause() -> None:
    with pytest.raises(DetectorLoadFailed, match="'broken'.*weights.onnx") as info:
        registry.load_detectors(["broken"], {"broken": BrokenLoadDetector})
    assert isinstance(info.value.__cause__, FileNotFoundError)


def test_load_detectors_defaults_to_discovered_detectors() -> None:
    (detector,) = registry.load_detectors(["metadata"])
    assert isinstance(detector, MetadataDetector)
