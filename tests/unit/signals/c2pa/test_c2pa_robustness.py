"""C2paDetector on mutated signed files (hypothesis): byte flips, truncation, JUMBF box lengths set
to hostile values, duplicated boxes. It always returns a SignalResult, quickly, and never raises.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.c2pa.detector import C2paDetector
from deepscreen.signals.testing import c2pa_fixtures as fixtures

DETECTOR = C2paDetector()
SEEDS = ["jpeg", "png", "webp", "mp4", "ingredient"]
MIMES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "mp4": "video/mp4"}
HOSTILE_LENGTHS = [
    b"\x00\x00\x00\x00",
    b"\x00\x00\x00\x01",
    b"\x00\x00\x00\x08",
    b"\x7f\xff\xff\xff",
    b"\xff\xff\xff\xff",
]
BOX_TYPES = [b"jumb", b"jumd", b"c2pa", b"cbor", b"json", b"uuid", b"moov", b"mdat"]
FAST = settings(
    max_examples=120,
    deadline=timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)


def seed(name: str) -> tuple[bytes, str]:
    if name == "ingredient":
        return fixtures.ai_in_ingredient_jpeg(), "image/jpeg"
    return fixtures.ai_created(MIMES[name]), MIMES[name]


def box_starts(data: bytes) -> list[int]:
    """Offsets of every box (length + type) whose type is in BOX_TYPES; signed seeds have some."""
    return [i - 4 for i in range(4, len(data) - 4) if data[i : i + 4] in BOX_TYPES]


def check(data: bytes, mime: str) -> SignalResult:
    kind = MediaKind.VIDEO if mime.startswith("video/") else MediaKind.IMAGE
    result = DETECTOR.detect(MediaItem(content_item_id(data), kind, mime, 0, 0, data))
    assert isinstance(result, SignalResult)
    assert result.abstained or result.score in (0.0, 1.0)
    assert len(json.dumps(dict(result.evidence), allow_nan=False)) < 64_000
    return result


@pytest.fixture(scope="module", autouse=True)
def signed_seeds() -> None:
    """Sign the seeds once, outside hypothesis's deadline."""
    for name in SEEDS:
        seed(name)


@FAST
@given(
    name=st.sampled_from(SEEDS),
    flips=st.lists(
        st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=16
    ),
)
def test_returns_a_result_when_bytes_are_flipped(name: str, flips: list[tuple[float, int]]) -> None:
    data, mime = seed(name)
    mutated = bytearray(data)
    for where, value in flips:
        mutated[int(where * len(mutated))] = value
    check(bytes(mutated), mime)


@FAST
@given(name=st.sampled_from(SEEDS), cut=st.floats(0, 1, exclude_max=True))
def test_returns_a_result_when_file_is_truncated_anywhere(name: str, cut: float) -> None:
    data, mime = seed(name)
    check(data[: int(cut * len(data))], mime)


@FAST
@given(
    name=st.sampled_from(SEEDS),
    occurrence=st.integers(0, 63),
    length=st.sampled_from(HOSTILE_LENGTHS),
)
def test_returns_a_result_when_a_box_length_is_hostile(
    name: str, occurrence: int, length: bytes
) -> None:
    data, mime = seed(name)
    starts = box_starts(data)
    at = starts[occurrence % len(starts)]
    check(data[:at] + length + data[at + 4 :], mime)


@FAST
@given(name=st.sampled_from(SEEDS), occurrence=st.integers(0, 63), times=st.integers(1, 4))
def test_returns_a_result_when_a_box_is_duplicated(name: str, occurrence: int, times: int) -> None:
    data, mime = seed(name)
    starts = box_starts(data)
    start = starts[occurrence % len(starts)]
    size = int.from_bytes(data[start : start + 4], "big")
    chunk = data[start : start + max(8, min(size, len(data) - start))]
    check(data[: start + len(chunk)] + chunk * times + data[start + len(chunk) :], mime)


def test_reads_the_same_as_before_when_mutations_are_done() -> None:
    data, mime = seed("jpeg")
    assert check(data, mime).score == 1.0  # the shared detector still works after the fuzzing
