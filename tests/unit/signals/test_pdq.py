"""PDQ hashing of generated images, and the hex helpers (round trips, normalisation, errors)."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from deepscreen.core.banks import DEFAULT_PDQ_THRESHOLD, PDQ_HEX
from deepscreen.signals.hashmatch.pdq import (
    HASH_MIN_SIDE,
    PdqHash,
    bits_to_hex,
    hamming,
    hash_reduction_factor,
    hex_to_bits,
    hexes_to_array,
    parse_pdq_hex,
    pdq_hash,
)

ZERO = "0" * 64
ONES = "f" * 64


def photo(name: str = "astronaut.png") -> Image.Image:
    with Image.open(files("skimage.data") / name) as image:
        return image.convert("RGB")


def test_hash_is_64_lowercase_hex_with_quality_when_photo():
    result = pdq_hash(photo())
    assert PDQ_HEX.match(result.hex)
    assert result.quality >= 50 and result.is_usable


def test_hash_is_deterministic_when_same_pixels():
    assert pdq_hash(photo()) == pdq_hash(photo().copy())


def test_hash_accepts_non_rgb_modes_when_converted():
    image = photo()
    assert hamming(pdq_hash(image.convert("RGBA")).hex, pdq_hash(image).hex) == 0
    assert hamming(pdq_hash(image.convert("L")).hex, pdq_hash(image).hex) <= 8


def test_hash_matches_when_image_is_rescaled():
    # Rescaling alone moves PDQ by up to ~20 bits, at full resolution too (coffee: 16 at 900 px).
    image = photo("coffee.png")
    reference = pdq_hash(image).hex
    for width in (300, 900, 1400, 2100):
        scaled = image.resize(
            (width, width * image.height // image.width), Image.Resampling.LANCZOS
        )
        assert hamming(pdq_hash(scaled).hex, reference) <= DEFAULT_PDQ_THRESHOLD, width


def test_hash_differs_when_unrelated_photos():
    assert hamming(pdq_hash(photo()).hex, pdq_hash(photo("coffee.png")).hex) > 64


def test_quality_is_junk_when_flat_or_tiny_image():
    flat = pdq_hash(Image.new("RGB", (640, 480), (120, 130, 140)))
    tiny = pdq_hash(Image.new("RGB", (3, 2), (10, 200, 30)))
    assert not flat.is_usable and not tiny.is_usable


@pytest.mark.parametrize(
    ("size", "factor"),
    [
        ((100, 80), 1),
        ((895, 600), 1),
        ((896, 600), 2),
        ((1024, 768), 2),
        ((768, 1024), 2),
        ((1600, 1004), 3),
        ((1920, 1080), 4),
        ((4000, 3000), 8),
    ],
)
def test_reduction_keeps_longer_side_at_least_min_side(size, factor):
    assert hash_reduction_factor(*size) == factor
    assert max(size) // factor >= min(max(size), HASH_MIN_SIDE)


@given(st.binary(min_size=32, max_size=32))
def test_hex_round_trips_when_any_32_bytes(data):
    packed = np.frombuffer(data, dtype=np.uint8)
    text = bits_to_hex(packed)
    assert PDQ_HEX.match(text) and text == data.hex()
    assert np.array_equal(hex_to_bits(text), packed)


def test_hex_packs_first_bit_as_most_significant():
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1
    assert bits_to_hex(np.packbits(bits)) == "8" + "0" * 63


def test_hexes_to_array_stacks_rows_when_many():
    array = hexes_to_array([ZERO, ONES.upper(), " " + "0f" * 32])
    assert array.shape == (3, 32) and array.dtype == np.uint8
    assert array[1].tolist() == [255] * 32 and array[2, 0] == 0x0F


def test_hamming_counts_bits_when_hashes_differ():
    assert hamming(ZERO, ONES) == 256
    assert hamming(ZERO, "1" + "0" * 63) == 1
    assert hamming(ONES, ONES.upper()) == 0


def test_parse_normalises_case_and_whitespace():
    assert parse_pdq_hex(f"  {'AbCd' * 16}\n") == "abcd" * 16


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "3 characters, expected 64"),
        ("0" * 65, "65 characters"),
        ("g" * 64, "other than 0-9a-f"),
        ("0x" + "0" * 62, "other than 0-9a-f"),
        ("", "0 characters"),
    ],
)
def test_parse_raises_quoting_value_when_not_a_hash(text, message):
    with pytest.raises(ValueError, match=message) as err:
        parse_pdq_hex(text)
    assert repr(text) in str(err.value)


def test_bits_to_hex_raises_when_wrong_shape():
    with pytest.raises(ValueError, match="32 bytes"):
        bits_to_hex(np.zeros(31, dtype=np.uint8))


def test_pdq_hash_type_rejects_bad_values():
    with pytest.raises(ValueError, match="not a PDQ hash"):
        PdqHash(hex=ONES.upper(), quality=100)
    with pytest.raises(ValueError, match="quality"):
        PdqHash(hex=ONES, quality=101)
