"""Raw metadata text of an image file (PNG text chunks, EXIF, XMP packets), read without decoding
pixels and with every read bounded. It finds fields; ``markers`` decides what they mean.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any, NamedTuple

from PIL import Image

MAX_FIELD_CHARS = 1 << 20  # one field; a large ComfyUI workflow is a few hundred KB
MAX_TOTAL_CHARS = 8 << 20
MAX_FIELDS = 256
MAX_PNG_CHUNKS = 100_000
XMP_WINDOW_BYTES = 4 << 20  # XMP is searched in the first and last 4 MiB only
MAX_XMP_BYTES = 1 << 20
MAX_XMP_PACKETS = 8

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_XMP_OPEN, _XMP_CLOSE = b"<x:xmpmeta", b"</x:xmpmeta>"
_RDF_OPEN, _RDF_CLOSE = b"<rdf:RDF", b"</rdf:RDF>"

# What Pillow raises on hostile headers. The warnings are listed because Pillow *warns* about
# corrupt EXIF and large images, which become exceptions when warnings are errors (pytest).
PILLOW_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    SyntaxError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    EOFError,
    struct.error,
    zlib.error,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    UserWarning,
)

_EXIF_IFD0_TAGS = {0x0131: "Software", 0x010E: "ImageDescription", 0x013B: "Artist"}
_EXIF_IFD_POINTER = 0x8769
_USER_COMMENT = 0x9286


class Field(NamedTuple):
    """One metadata text: ``source`` is ``container:key`` (``png_text:parameters``,
    ``exif:UserComment``, ``xmp:packet``, ``jpeg:comment``)."""

    source: str
    value: str


@dataclass
class FieldScan:
    fields: list[Field] = field(default_factory=list)
    parse_errors: int = 0
    total_chars: int = 0

    def add(self, source: str, value: str) -> None:
        value = value[:MAX_FIELD_CHARS]
        if len(self.fields) >= MAX_FIELDS or self.total_chars + len(value) > MAX_TOTAL_CHARS:
            return
        self.total_chars += len(value)
        self.fields.append(Field(source, value))


def read_fields(data: bytes) -> FieldScan:
    """Every metadata text field of ``data``; malformed parts are counted, never raised."""
    scan = FieldScan()
    if data.startswith(PNG_SIGNATURE):
        # Walked by hand rather than with Pillow's ``.info``: Pillow only sees text chunks
        # placed before IDAT unless the pixels are decoded.
        _read_png_chunks(data, scan)
    elif data:
        _read_with_pillow(data, scan)
    _read_xmp_packets(data, scan)
    return scan


def _read_with_pillow(data: bytes, scan: FieldScan) -> None:
    try:
        with Image.open(BytesIO(data)) as im:  # parses the header only; pixels stay encoded
            comment = im.info.get("comment")
            if isinstance(comment, bytes | str):
                scan.add("jpeg:comment", _as_text(comment))
            _read_exif(im.getexif(), scan)
    except PILLOW_ERRORS:
        scan.parse_errors += 1


def _read_exif_bytes(raw: bytes, scan: FieldScan) -> None:
    exif = Image.Exif()
    try:
        exif.load(raw)
    except PILLOW_ERRORS:
        scan.parse_errors += 1
        return
    _read_exif(exif, scan)


def _read_exif(exif: Image.Exif, scan: FieldScan) -> None:
    try:
        for tag, name in _EXIF_IFD0_TAGS.items():
            if (text := _as_text(exif.get(tag))).strip():
                scan.add(f"exif:{name}", text)
        if _EXIF_IFD_POINTER not in exif:
            return
        raw = exif.get_ifd(_EXIF_IFD_POINTER).get(_USER_COMMENT)
    except PILLOW_ERRORS:
        scan.parse_errors += 1
        return
    comment = decode_user_comment(raw) if isinstance(raw, bytes) else _as_text(raw)
    if comment.strip():
        scan.add("exif:UserComment", comment)


def decode_user_comment(raw: bytes) -> str:
    """EXIF UserComment: an 8-byte charset prefix, then text (UNICODE is UTF-16 of either order)."""
    prefix, body = raw[:8], raw[8:]
    if prefix == b"UNICODE\0":
        return _decode_utf16(body)
    if prefix == b"ASCII\0\0\0":
        return body.decode("ascii", "replace").rstrip("\0")
    if prefix == b"JIS\0\0\0\0\0":
        return body.decode("shift_jis", "replace").rstrip("\0")
    if prefix == b"\0" * 8:
        return body.decode("utf-8", "replace").rstrip("\0")
    return raw.decode("utf-8", "replace").rstrip("\0")


def _decode_utf16(body: bytes) -> str:
    if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
        return body.decode("utf-16", "replace").rstrip("\0")
    body = body[: len(body) // 2 * 2]
    big = body.decode("utf-16-be", "replace")
    little = body.decode("utf-16-le", "replace")

    # The order is not recorded (writers use the TIFF byte order, or always big-endian as
    # A1111/piexif do), so prefer big-endian unless little-endian reads as more plain ASCII.
    def ascii_count(s: str) -> int:
        return sum(1 for c in s if c < "\x7f")

    return (little if ascii_count(little) > ascii_count(big) else big).rstrip("\0")


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.rstrip("\0")
    if isinstance(value, bytes):
        return value[:MAX_FIELD_CHARS].decode("utf-8", "replace").rstrip("\0")
    return ""


def _read_png_chunks(data: bytes, scan: FieldScan) -> None:
    pos = len(PNG_SIGNATURE)
    for _ in range(MAX_PNG_CHUNKS):
        if pos + 8 > len(data):
            return
        length, ctype = struct.unpack_from(">I4s", data, pos)
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            scan.parse_errors += 1  # truncated file
            return
        if ctype in _TEXT_CHUNKS:
            _read_png_text(ctype, body, scan)
        elif ctype == b"eXIf":
            _read_exif_bytes(body, scan)
        elif ctype == b"IEND":
            return
        pos += 12 + length  # length, type, body, CRC (not verified: tolerant reading)


def _read_png_text(ctype: bytes, body: bytes, scan: FieldScan) -> None:
    key_bytes, sep, rest = body.partition(b"\0")
    if not sep or not 1 <= len(key_bytes) <= 79:
        scan.parse_errors += 1
        return
    key = key_bytes.decode("latin-1")
    text: str | None
    if ctype == b"tEXt":
        text = rest[:MAX_FIELD_CHARS].decode("latin-1")
    elif ctype == b"zTXt":
        raw = _inflate(rest[1:]) if rest[:1] == b"\0" else None
        text = None if raw is None else raw.decode("latin-1")
    else:
        text = _itxt_text(rest)
    if text is None:
        scan.parse_errors += 1
    else:
        scan.add(f"png_text:{key}", text)


def _itxt_text(rest: bytes) -> str | None:
    """iTXt after the keyword: flag, method, language\\0, translated keyword\\0, UTF-8 text."""
    if len(rest) < 2:
        return None
    compressed, method = rest[0], rest[1]
    parts = rest[2:].split(b"\0", 2)
    if len(parts) != 3:
        return None
    payload: bytes | None = parts[2]
    if compressed:
        payload = _inflate(parts[2]) if method == 0 else None
    return None if payload is None else payload[:MAX_FIELD_CHARS].decode("utf-8", "replace")


def _inflate(compressed: bytes) -> bytes | None:
    """zlib-decompress at most ``MAX_FIELD_CHARS`` bytes (a zTXt bomb stops there)."""
    try:
        return zlib.decompressobj().decompress(compressed, MAX_FIELD_CHARS)
    except zlib.error:
        return None


def _read_xmp_packets(data: bytes, scan: FieldScan) -> None:
    if len(data) <= 2 * XMP_WINDOW_BYTES:
        windows = [(0, len(data))]
    else:
        windows = [(0, XMP_WINDOW_BYTES), (len(data) - XMP_WINDOW_BYTES, len(data))]
    found = 0
    for opener, closer in ((_XMP_OPEN, _XMP_CLOSE), (_RDF_OPEN, _RDF_CLOSE)):
        for start, end in windows:
            found += _read_packets_in(data, start, end, opener, closer, scan, found)
        if found:  # bare rdf:RDF is only a fallback for writers that omit x:xmpmeta
            return


def _read_packets_in(
    data: bytes, start: int, end: int, opener: bytes, closer: bytes, scan: FieldScan, found: int
) -> int:
    count = 0
    pos = start
    while found + count < MAX_XMP_PACKETS:
        i = data.find(opener, pos, end)
        if i < 0:
            break
        j = data.find(closer, i, min(end, i + MAX_XMP_BYTES))
        stop = i + MAX_XMP_BYTES if j < 0 else j + len(closer)
        scan.add("xmp:packet", data[i : min(stop, end)].decode("utf-8", "replace"))
        count += 1
        pos = stop  # an unclosed packet runs to the size cap; its contents were read
    return count
