"""The dwtDct codec: OpenCV colour maths, block decisions, round trips, and the fast decoder."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from PIL import Image

from deepscreen.signals.watermark import dwtdct
from deepscreen.signals.watermark.detector import KNOWN_MESSAGES

SDXL, SDV2, SD1 = KNOWN_MESSAGES
PIXELS = np.array(
    [[[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]]]
    + [[[12, 200, 77], [128, 128, 128], [3, 250, 251], [90, 17, 160]]],
    dtype=np.uint8,
).reshape(1, 8, 3)


def photo(name: str) -> np.ndarray:
    """A bundled scikit-image photo as an RGB uint8 array."""
    with Image.open(files("skimage.data") / name) as image:
        return np.asarray(image.convert("RGB"))


def textured(rows: int, cols: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    base = np.stack([x % 256, y % 256, (x + y) % 256], axis=-1)
    return np.clip(base + rng.integers(-40, 41, base.shape), 0, 255).astype(np.uint8)


def matched(bits: np.ndarray, expected: tuple[int, ...]) -> int:
    return int(np.count_nonzero(bits == np.asarray(expected)))


def test_message_bits_when_known_messages() -> None:
    assert "".join(map(str, SDXL.bits)) == format(0xB3EC907BB19E, "048b")
    assert len(SDV2.bits) == 32 and bytes(np.packbits(SDV2.bits)) == b"SDV2"
    assert len(SD1.bits) == 136 and bytes(np.packbits(SD1.bits)) == b"StableDiffusionV1"


@pytest.mark.parametrize("bad", ["", "0120", "10 1"])
def test_message_bits_rejects_when_not_a_bit_string(bad: str) -> None:
    with pytest.raises(ValueError, match="bit string"):
        dwtdct.message_bits(bad)


def test_bgr_to_yuv_matches_opencv_when_uint8() -> None:
    # Values printed by cv2.cvtColor(PIXELS, cv2.COLOR_BGR2YUV) (opencv-python 5.0.0).
    expected = [
        [29, 239, 103], [150, 54, 0], [76, 91, 255], [255, 128, 128],
        [142, 64, 71], [128, 128, 128], [222, 20, 153], [68, 139, 209],
    ]  # fmt: skip
    assert dwtdct.bgr_to_yuv(PIXELS)[0].tolist() == expected


def test_yuv_to_bgr_matches_opencv_when_uint8() -> None:
    expected = [
        [0, 255, 109], [255, 24, 0], [0, 0, 145], [255, 131, 255],
        [158, 13, 0], [128, 128, 128], [251, 0, 143], [0, 115, 126],
    ]  # fmt: skip
    assert dwtdct.yuv_to_bgr(PIXELS)[0].tolist() == expected


def test_bgr_to_yuv_matches_opencv_when_float32() -> None:
    yuv = dwtdct.bgr_to_yuv(PIXELS.astype(np.float32))
    assert yuv.dtype == np.float32
    # Bit-exact float32 values from OpenCV (offset 0.5, not 128, for float chroma).
    assert yuv[0, 0].tolist() == [29.06999969482422, 111.65756225585938, -24.994388580322266]
    assert yuv[0, 3].tolist() == [255.0, 0.5, 0.5]
    assert yuv[0, 7].tolist() == [68.0790023803711, 11.285131454467773, 81.11471557617188]


def test_yuv_to_bgr_matches_opencv_when_float32() -> None:
    bgr = dwtdct.yuv_to_bgr(PIXELS.astype(np.float32) / 255)
    assert bgr[0, 4].tolist() == [0.6247843503952026, 0.04981566593050957, -0.1787058711051941]
    assert bgr[0, 6].tolist() == [0.9879215955734253, -0.4593764543533325, 0.5638823509216309]


def test_bits_from_blocks_when_votes_tie_or_are_missing() -> None:
    # The reference thresholds mean * 255 > 127, so an exact half counts as a 1.
    votes = np.array([1, 0, 0, 1, 1, 0], dtype=bool)  # block k votes for bit k mod 3
    assert dwtdct.bits_from_blocks(votes, 3).tolist() == [1, 1, 0]
    assert dwtdct.bits_from_blocks(votes[:2], 3).tolist() == [1, 0, 0]  # no vote: 0
    assert dwtdct.bits_from_blocks(np.array([1, 0], dtype=bool), 1).tolist() == [1]


@pytest.mark.parametrize("name", ["astronaut.png", "hubble_deep_field.jpg"])
@pytest.mark.parametrize("message", [SDXL, SDV2, SD1], ids=lambda m: m.key)
def test_round_trip_recovers_bits_when_uint8_photo(name: str, message: object) -> None:
    bits = message.bits  # type: ignore[attr-defined]
    image = photo(name)
    marked = dwtdct.encode(image, bits)
    assert marked.dtype == np.uint8 and marked.shape == image.shape
    assert matched(dwtdct.decode(marked, len(bits)), bits) == len(bits)
    flipped = dwtdct.encode(image[..., ::-1], bits)  # the BGR convention
    assert matched(dwtdct.decode(flipped, len(bits)), bits) == len(bits)


def test_round_trip_recovers_bits_when_textured_images() -> None:
    for seed, (rows, cols) in enumerate([(256, 256), (300, 451), (517, 263)]):
        marked = dwtdct.encode(textured(rows, cols, seed), SDXL.bits)
        assert matched(dwtdct.decode(marked, 48), SDXL.bits) >= 46


def test_encode_keeps_float32_when_float_input() -> None:
    image = photo("astronaut.png")[:256, :300].astype(np.float64)
    marked = dwtdct.encode(image, SDXL.bits)
    assert marked.dtype == np.float32
    # diffusers rounds and clips the float result; the mark mostly survives on this photo.
    saved = np.clip(np.round(marked), 0, 255).astype(np.uint8)
    assert matched(dwtdct.decode(saved, 48), SDXL.bits) >= SDXL.min_matched
    assert matched(dwtdct.decode(marked, 48), SDXL.bits) == 48  # float decode, no rounding


@pytest.mark.parametrize("name", ["astronaut.png", "coffee.png", "chelsea.png", "rocket.jpg"])
def test_clean_photo_stays_below_thresholds(name: str) -> None:
    as_given, flipped = dwtdct.block_bits_pair(photo(name))
    for message in KNOWN_MESSAGES:
        for blocks in (as_given, flipped):
            bits = dwtdct.bits_from_blocks(blocks, len(message.bits))
            assert matched(bits, message.bits) < message.min_matched


def test_fast_decoder_equals_exact_arithmetic_when_uint8() -> None:
    cases = [photo("astronaut.png"), photo("coffee.png")[:300, :451], textured(264, 300, 1)]
    cases.append(dwtdct.encode(photo("chelsea.png"), SD1.bits))
    cases.append(np.full((256, 256, 3), 200, dtype=np.uint8))  # flat: every S mod 72 ties
    for image in cases:
        as_given, flipped = dwtdct.block_bits_pair(image)
        assert np.array_equal(as_given, dwtdct._exact_block_bits(image))
        assert np.array_equal(flipped, dwtdct._exact_block_bits(image[..., ::-1]))
        assert np.array_equal(dwtdct.block_bits(image), as_given)


def test_block_bits_pair_when_float_input() -> None:
    image = textured(256, 264, 2).astype(np.float32)
    as_given, flipped = dwtdct.block_bits_pair(image)
    assert np.array_equal(as_given, dwtdct.block_bits(image))
    assert np.array_equal(flipped, dwtdct.block_bits(image[..., ::-1]))


@pytest.mark.parametrize(
    ("shape", "dtype", "message"),
    [
        ((255, 256, 3), np.uint8, "fewer than 256×256"),
        ((256, 256), np.uint8, "H×W×3"),
        ((256, 256, 4), np.uint8, "H×W×3"),
        ((256, 256, 3), np.int16, "uint8 or float"),
    ],
)
def test_codec_rejects_when_input_unusable(
    shape: tuple[int, ...], dtype: type, message: str
) -> None:
    image = np.zeros(shape, dtype=dtype)
    with pytest.raises(ValueError, match=message):
        dwtdct.decode(image, 48)
    with pytest.raises(ValueError, match=message):
        dwtdct.encode(image, SDXL.bits)


def test_codec_rejects_when_message_empty() -> None:
    image = textured(256, 256, 3)
    with pytest.raises(ValueError, match="empty"):
        dwtdct.encode(image, [])
    with pytest.raises(ValueError, match="positive"):
        dwtdct.decode(image, 0)


def test_decode_when_wide_strip_has_no_block_rows() -> None:
    # 4 rows pass the reference's pixel-count check but hold no 4×4 LL block: all bits 0.
    strip = np.full((4, 20000, 3), 90, dtype=np.uint8)
    assert dwtdct.decode(strip, 48).tolist() == [0] * 48
