"""Property tests: the decoder never raises on odd sizes or values; its fast path stays exact."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.signals.watermark import dwtdct
from deepscreen.signals.watermark.detector import WatermarkDetector

PROFILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def images(draw: st.DrawFn, min_side: int = 1, max_side: int = 600) -> np.ndarray:
    """uint8 RGB images: noise, flat, or noise on flat, of any size in range."""
    rows = draw(st.integers(min_side, max_side))
    cols = draw(st.integers(min_side, max_side))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = rng.integers(0, 256, 3)
    spread = draw(st.sampled_from([0, 3, 40, 255]))
    noise = rng.integers(-spread, spread + 1, (rows, cols, 3))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def media(rgb: np.ndarray, mime: str) -> MediaItem:
    pixels = Image.fromarray(rgb, "RGB")
    return MediaItem("h", MediaKind.IMAGE, mime, pixels.width, pixels.height, b"", "", pixels)


@PROFILE
@given(images(), st.sampled_from(["image/png", "image/jpeg", "image/gif", "image/webp", "x/y"]))
def test_detect_never_raises_when_any_size_or_mime(rgb: np.ndarray, mime: str) -> None:
    result = WatermarkDetector().detect(media(rgb, mime))
    assert result.abstained or result.score == 1.0
    if mime == "image/png" and min(rgb.shape[:2]) >= 256:
        assert "bits_matched" in result.evidence


@PROFILE
@given(images(min_side=256))
def test_fast_decoder_is_exact_when_random_images(rgb: np.ndarray) -> None:
    as_given, flipped = dwtdct.block_bits_pair(rgb)
    assert np.array_equal(as_given, dwtdct._exact_block_bits(rgb))
    assert np.array_equal(flipped, dwtdct._exact_block_bits(rgb[..., ::-1]))


@PROFILE
@given(images(min_side=256, max_side=400), st.lists(st.integers(0, 1), min_size=1, max_size=200))
def test_encode_then_decode_never_raises_when_any_message(rgb: np.ndarray, bits: list[int]) -> None:
    marked = dwtdct.encode(rgb, bits)
    assert marked.shape == rgb.shape and marked.dtype == np.uint8
    assert dwtdct.decode(marked, len(bits)).shape == (len(bits),)


@PROFILE
@given(
    st.integers(4, 300),
    st.integers(220, 700),
    st.floats(-300, 300, width=32),
    st.floats(0, 300, width=32),
)
def test_float_decode_never_raises(rows: int, cols: int, low: float, span: float) -> None:
    if rows * cols < dwtdct.MIN_PIXELS:
        rows = -(-dwtdct.MIN_PIXELS // cols)
    rng = np.random.default_rng(rows * cols)
    image = (low + span * rng.random((rows, cols, 3))).astype(np.float32)
    assert dwtdct.decode(image, 48).shape == (48,)


@pytest.mark.parametrize("bad", [np.nan, np.inf, 1e30])
def test_float_decode_rejects_when_not_finite_or_huge(bad: float) -> None:
    image = np.zeros((256, 256, 3), dtype=np.float32)
    image[7, 9, 1] = bad
    with pytest.raises(ValueError, match="finite"):
        dwtdct.decode(image, 48)


def test_detect_handles_non_rgb_pixels() -> None:
    rgba = Image.new("RGBA", (300, 300), (10, 200, 30, 128))
    buffer = BytesIO()
    rgba.save(buffer, "PNG")
    item = MediaItem("a", MediaKind.IMAGE, "image/png", 300, 300, buffer.getvalue(), "", rgba)
    assert WatermarkDetector().detect(item).abstained
