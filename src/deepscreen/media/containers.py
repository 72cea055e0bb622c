"""Video containers recognised without decoding (MP4, MOV, WebM), so that container-level
detectors such as C2PA can read them. Frames are not decoded yet: width and height are 0.
"""

from __future__ import annotations

import struct

# ISO-BMFF major brands (ftyp box) → MIME type. HEIC/AVIF are left out on purpose: they are
# images, and an image item without pixels would surprise pixel detectors.
_BRANDS = {
    b"qt  ": "video/quicktime",
    **{
        brand: "video/mp4"
        for brand in (
            b"isom",
            b"iso2",
            b"iso4",
            b"iso5",
            b"iso6",
            b"mp41",
            b"mp42",
            b"avc1",
            b"M4V ",
            b"dash",
            b"MSNV",
            b"3gp4",
            b"3gp5",
        )
    },
}


_EBML = b"\x1a\x45\xdf\xa3"  # Matroska / WebM


def sniff_video(data: bytes) -> str | None:
    """The MIME type of an MP4/MOV file (leading ``ftyp`` box) or a WebM file, or None."""
    if data.startswith(_EBML) and b"webm" in data[:64]:
        return "video/webm"
    if len(data) < 16 or data[4:8] != b"ftyp":
        return None
    return _BRANDS.get(data[8:12])


def first_box_fits(data: bytes) -> bool:
    """The leading box's declared size is plausible (8 bytes ≤ size ≤ file size); WebM has
    no boxes and passes."""
    if data.startswith(_EBML):
        return True
    size: int = struct.unpack(">I", data[:4])[0]
    return 8 <= size <= len(data)
