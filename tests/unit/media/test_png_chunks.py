"""Structural limit: a PNG made of millions of tiny chunks is refused before decoding."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from deepscreen.core.errors import MediaTooLarge
from deepscreen.media import MediaLimits, load_media
from deepscreen.media.load import png_chunk_count


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_text_chunks(count: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(buffer, "PNG")
    png = buffer.getvalue()
    header_end = 8 + 12 + struct.unpack(">I", png[8:12])[0]  # signature, then IHDR
    return png[:header_end] + chunk(b"tEXt", b"k\0v") * count + png[header_end:]


def test_chunks_besides_image_data_are_counted_up_to_the_limit() -> None:
    assert png_chunk_count(png_with_text_chunks(0), stop_after=100) == 1  # IHDR
    assert png_chunk_count(png_with_text_chunks(10), stop_after=100) == 11
    assert png_chunk_count(png_with_text_chunks(5000), stop_after=100) == 101  # stopped early


def test_a_chunk_bomb_is_refused_and_an_ordinary_png_loads() -> None:
    bomb = png_with_text_chunks(200_000)  # 3 MB of 15-byte text chunks
    with pytest.raises(MediaTooLarge, match="more than 1024 chunks"):
        load_media(bomb, source="bomb.png")
    item = load_media(png_with_text_chunks(20), source="fine.png")
    assert item.width == 8
    with pytest.raises(MediaTooLarge, match="more than 10 chunks"):
        load_media(png_with_text_chunks(20), source="x.png", limits=MediaLimits(max_png_chunks=10))


def test_truncated_chunk_headers_end_the_walk_for_the_decoder_to_judge() -> None:
    data = png_with_text_chunks(3)[:40]
    assert png_chunk_count(data, stop_after=100) >= 1
