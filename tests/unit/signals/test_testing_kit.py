"""The conformance kit catches broken detectors, and passes a well-behaved one."""

from __future__ import annotations

import random
import socket
from io import BytesIO
from typing import Any, ClassVar

import pytest
from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals import testing


def _example(colour: int) -> MediaItem:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), (colour, colour, colour)).save(buffer, "PNG")
    data = buffer.getvalue()
    return MediaItem(content_item_id(data), MediaKind.IMAGE, "image/png", 4, 4, data)


class GoodDetector:
    """Scores bright images, abstains on dark ones."""

    name: ClassVar[str] = "good_detector"
    version: ClassVar[str] = "1"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def load(self) -> None:
        pass

    def detect(self, item: MediaItem) -> SignalResult:
        if item.data == _example(0).data:
            return SignalResult.abstain(self.name, self.version, "too dark")
        return SignalResult.scored(self.name, self.version, 0.25, {"mean": [1, 2]})

    def get_examples(self) -> list[MediaItem]:
        return [_example(0), _example(255)]


class CamelName(GoodDetector):
    name: ClassVar[str] = "CamelName"


class EmptyVersion(GoodDetector):
    version: ClassVar[str] = ""


class NoKinds(GoodDetector):
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset()


class OpensFileInInit(GoodDetector):
    def __init__(self) -> None:
        with open("/etc/hostname", "rb"):
            pass


class NeedsArguments(GoodDetector):
    def __init__(self, weights_path: str) -> None:
        self.weights_path = weights_path


class ConnectsInDetect(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        socket.create_connection(("127.0.0.1", 9))
        return super().detect(item)


class Nondeterministic(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.scored(self.name, self.version, random.random())


class WrongDetectorName(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.scored("someone_else", self.version, 0.5)


class NotJsonEvidence(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.scored(self.name, self.version, 0.5, {"blob": b"\x00"})


class AlwaysAbstains(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, "never sure")


class AlwaysScores(GoodDetector):
    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.scored(self.name, self.version, 1.0)


class NoExamples(GoodDetector):
    def get_examples(self) -> list[MediaItem]:
        return []


@testing.parametrize_with_checks([GoodDetector()])
def test_good_detector_passes_every_check(detector: Any, check: Any) -> None:
    check(detector)


@pytest.mark.parametrize(
    ("detector", "check", "message"),
    [
        (CamelName(), testing.check_name_is_lower_snake, "not lower_snake"),
        (EmptyVersion(), testing.check_version_is_nonempty_str, "non-empty"),
        (NoKinds(), testing.check_media_kinds_declared, "non-empty frozenset"),
        (OpensFileInInit(), testing.check_init_does_no_io, "file I/O attempted"),
        (NeedsArguments("w.onnx"), testing.check_init_does_no_io, "without arguments"),
        (ConnectsInDetect(), testing.check_detect_does_no_network_io, "network I/O attempted"),
        (Nondeterministic(), testing.check_detect_is_deterministic, "differs between calls"),
        (WrongDetectorName(), testing.check_detect_returns_signal_result, "someone_else"),
        (NotJsonEvidence(), testing.check_result_is_serialisable, "not JSON"),
        (AlwaysAbstains(), testing.check_examples_include_a_scored_result, "no example"),
        (AlwaysScores(), testing.check_examples_exercise_both_outcomes, "only scores"),
        (NoExamples(), testing.check_examples_cover_media_kinds, "non-empty list"),
    ],
    ids=lambda value: value.__name__ if callable(value) and hasattr(value, "__name__") else None,
)
def test_check_fails_with_clear_message(detector: Any, check: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        check(detector)


def test_ids_name_detector_and_check() -> None:
    mark = testing.parametrize_with_checks([GoodDetector()])
    ids = [param.id for param in mark.args[1]]
    assert "good_detector-check_name_is_lower_snake" in ids
    assert len(ids) == len(testing.CHECKS)


def test_only_optional_checks_can_be_excluded() -> None:
    mark = testing.parametrize_with_checks(
        [AlwaysScores()], exclude={"check_examples_exercise_both_outcomes"}
    )
    assert len(mark.args[1]) == len(testing.CHECKS) - 1
    with pytest.raises(ValueError, match="check_name_is_lower_snake"):
        testing.parametrize_with_checks([GoodDetector()], exclude={"check_name_is_lower_snake"})
