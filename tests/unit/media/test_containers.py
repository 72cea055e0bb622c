"""MP4/MOV containers load as undecoded video items; other ISO-BMFF brands stay unsupported."""

from __future__ import annotations

import struct

import pytest

from deepscreen.core.errors import CorruptMedia, UnsupportedMedia
from deepscreen.core.media import MediaKind
from deepscreen.media import load_media


def bmff(brand: bytes, ftyp_size: int = 20) -> bytes:
    ftyp = struct.pack(">I", ftyp_size) + b"ftyp" + brand + b"\0\0\0\0" + b"isom"
    mdat = struct.pack(">I", 16) + b"mdat" + b"\0" * 8
    return ftyp + mdat


@pytest.mark.parametrize(
    ("brand", "mime"),
    [(b"isom", "video/mp4"), (b"mp42", "video/mp4"), (b"qt  ", "video/quicktime")],
)
def test_video_container_loads_without_decoding_when_ftyp_brand_is_known(brand, mime):
    item = load_media(bmff(brand), source="clip")
    assert item.kind is MediaKind.VIDEO and item.mime == mime
    assert item.pixels is None and (item.width, item.height) == (0, 0)


def test_heic_is_not_mistaken_for_video():
    with pytest.raises(UnsupportedMedia, match="MP4/MOV"):
        load_media(bmff(b"heic"), source="photo.heic")


def test_box_size_beyond_file_is_corrupt():
    with pytest.raises(CorruptMedia, match="box size"):
        load_media(bmff(b"isom", ftyp_size=10_000), source="clip.mp4")
