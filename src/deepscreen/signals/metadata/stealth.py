"""Stealth pnginfo (A1111 extension, NovelAI): generation text hidden in the alpha channel's
least significant bits. Only the alpha variants are read; the RGB variants are not verified.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from io import BytesIO

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from deepscreen.signals.metadata.fields import PILLOW_ERRORS, PNG_SIGNATURE

# Decoding the alpha channel is the one place the metadata detector touches pixels, so it is
# bounded: at most 16 megapixels decoded, and at most 1 MiB of payload read or inflated.
MAX_PIXELS = 4096 * 4096
MAX_PAYLOAD_BYTES = 1 << 20

_MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}  # magic -> gzip-compressed
_MAGIC_BITS = 15 * 8
_HEADER_BITS = _MAGIC_BITS + 32  # magic, then the payload length in bits (32-bit big-endian)
_ALPHA_MODES = ("RGBA", "LA")


@dataclass(frozen=True, slots=True)
class StealthText:
    """``text`` is None when the magic was present but the payload could not be read."""

    magic: str
    text: str | None


def read_stealth_text(data: bytes) -> StealthText | None:
    """The stealth payload of a PNG with alpha, or None when there is none (the common case)."""
    if not data.startswith(PNG_SIGNATURE):
        return None
    alpha = _alpha_channel(data)
    if alpha is None or alpha.size < _HEADER_BITS:
        return None
    header = np.packbits(_lsb_column_major(alpha, _HEADER_BITS)).tobytes()
    magic = header[: _MAGIC_BITS // 8]
    if magic not in _MAGICS:
        return None
    n_bits = int.from_bytes(header[_MAGIC_BITS // 8 :], "big")
    if n_bits % 8 or n_bits > 8 * MAX_PAYLOAD_BYTES or _HEADER_BITS + n_bits > alpha.size:
        return StealthText(magic.decode("ascii"), None)
    bits = _lsb_column_major(alpha, _HEADER_BITS + n_bits)[_HEADER_BITS:]
    payload: bytes | None = np.packbits(bits).tobytes()
    if _MAGICS[magic]:
        payload = _gunzip(payload or b"")
    text = None if payload is None else payload.decode("utf-8", "replace")
    return StealthText(magic.decode("ascii"), text)


def _alpha_channel(data: bytes) -> NDArray[np.uint8] | None:
    try:
        with Image.open(BytesIO(data)) as im:
            if im.mode not in _ALPHA_MODES or im.width * im.height > MAX_PIXELS:
                return None
            return np.asarray(im.getchannel("A"), dtype=np.uint8)
    except PILLOW_ERRORS:
        return None


def _lsb_column_major(alpha: NDArray[np.uint8], n_bits: int) -> NDArray[np.uint8]:
    """The first ``n_bits`` LSBs, reading down each column before moving right."""
    height = alpha.shape[0]
    columns = -(-n_bits // height)
    return (alpha[:, :columns].T.reshape(-1)[:n_bits] & 1).astype(np.uint8)


def _gunzip(payload: bytes) -> bytes | None:
    try:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        return inflater.decompress(payload, MAX_PAYLOAD_BYTES)
    except zlib.error:
        return None
