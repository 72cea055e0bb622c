"""PDQ perceptual hashes (Meta's 256-bit image hash) of decoded images, and hex helpers.

Hex is ThreatExchange's: the 256 bits in order, most significant first, 64 lowercase digits."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pdqhash
from PIL import Image

from deepscreen.core.banks import PDQ_HEX
from deepscreen.core.media import MediaItem
from deepscreen.signals.pixels import box_reduced

HASH_BYTES = 32
PDQ_MIN_QUALITY = 50
"""Hashes of quality 49 or less are junk (flat or tiny images); upstream says discard them."""

HASH_MIN_SIDE = 448
"""Images are shrunk (``Image.reduce``, a box filter) by the largest integer factor that keeps the
longer side ≥ 448 px, so 1024×768 is hashed at 512×384, 5–7× faster. Measured distance to the
full-resolution hash: ≤ 10 bits on Meta's reference images, ≤ 12 on 1024×768 photos, ≤ 14 on
520–1500 px rescales; to Meta's reference hashes: ≤ 10 (full resolution: ≤ 12). A cap of 512
would halve 513–1023 px images to 257–511 px: up to 22 bits. Banking and matching both use it."""

_HEX_DIGITS = frozenset(string.hexdigits)
PDQ_KEY = "pdq"  # an item's hash, in ``MediaItem.derived``


@dataclass(frozen=True, slots=True)
class PdqHash:
    """A PDQ hash: ``hex`` is 64 lowercase hex digits; ``quality`` is 0..100."""

    hex: str
    quality: int

    def __post_init__(self) -> None:
        if not PDQ_HEX.match(self.hex):
            raise ValueError(f"{self.hex!r} is not a PDQ hash (64 lowercase hex characters)")
        if not 0 <= self.quality <= 100:
            raise ValueError(f"PDQ quality {self.quality!r} must be in [0, 100]")

    @property
    def is_usable(self) -> bool:
        """False for junk hashes (quality ≤ 49), which match unrelated flat images."""
        return self.quality >= PDQ_MIN_QUALITY


def hash_reduction_factor(width: int, height: int) -> int:
    """The integer box-filter factor ``pdq_hash`` shrinks a ``width``×``height`` image by."""
    return max(1, max(width, height) // HASH_MIN_SIDE)


def pdq_hash(image: Image.Image) -> PdqHash:
    """PDQ hash of an RGB image (EXIF orientation already applied), on a box-reduced copy."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    factor = hash_reduction_factor(image.width, image.height)
    return hash_reduced(image.reduce(factor) if factor > 1 else image)


def item_pdq_hash(item: MediaItem) -> PdqHash:
    """``pdq_hash(item.pixels)``, computed once per item on the item's shared downscale."""
    return item.derive(PDQ_KEY, lambda: _item_hash(item))


def _item_hash(item: MediaItem) -> PdqHash:
    factor = hash_reduction_factor(item.pixels.width, item.pixels.height)
    return hash_reduced(box_reduced(item, factor))


def hash_reduced(image: Image.Image) -> PdqHash:
    """PDQ hash of an RGB image already shrunk by ``hash_reduction_factor`` (not checked)."""
    pixels = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
    bits, quality = pdqhash.compute(pixels)
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return PdqHash(hex=bits_to_hex(packed), quality=int(quality))


def parse_pdq_hex(text: str) -> str:
    """Normalise a PDQ hash given as text (strip, lowercase); raise ValueError if it is not one."""
    value = text.strip().lower()
    if len(value) != 2 * HASH_BYTES:
        raise ValueError(f"{text!r} is not a PDQ hash: {len(value)} characters, expected 64")
    if not _HEX_DIGITS.issuperset(value):
        raise ValueError(f"{text!r} is not a PDQ hash: it has characters other than 0-9a-f")
    return value


def hex_to_bits(hex_hash: str) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """The 32 bytes of a hex PDQ hash, first byte holding the first 8 bits."""
    return np.frombuffer(bytes.fromhex(parse_pdq_hex(hex_hash)), dtype=np.uint8).copy()


def hexes_to_array(hex_hashes: Iterable[str]) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """Many hex PDQ hashes as an (n, 32) uint8 array, the layout ``BinaryHashIndex`` takes."""
    joined = "".join(parse_pdq_hex(h) for h in hex_hashes)
    return np.frombuffer(bytes.fromhex(joined), dtype=np.uint8).reshape(-1, HASH_BYTES).copy()


def bits_to_hex(packed: np.ndarray[Any, np.dtype[np.uint8]]) -> str:
    """The hex form of 32 packed bytes (inverse of ``hex_to_bits``)."""
    data = np.asarray(packed, dtype=np.uint8)
    if data.shape != (HASH_BYTES,):
        raise ValueError(f"a PDQ hash is 32 bytes, got an array of shape {data.shape!r}")
    return data.tobytes().hex()


def hamming(a_hex: str, b_hex: str) -> int:
    """Hamming distance (0..256) between two hex PDQ hashes."""
    return (int(parse_pdq_hex(a_hex), 16) ^ int(parse_pdq_hex(b_hex), 16)).bit_count()
