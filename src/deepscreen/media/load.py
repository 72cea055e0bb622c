"""Safe media loading: the only place where bytes become a ``MediaItem``. The format is sniffed
from magic bytes, limits are checked before any pixel is decoded (images, with Pillow; videos and
PDFs are wrapped undecoded), and every failure is a typed ``InvalidInput`` naming the source."""

from __future__ import annotations

import io
import stat
import struct
import warnings
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from deepscreen.core.errors import (
    ConfigError,
    CorruptMedia,
    InvalidInput,
    MediaTooLarge,
    UnsupportedMedia,
)
from deepscreen.core.media import AttributeValue, ItemId, MediaItem, MediaKind, content_item_id
from deepscreen.media.containers import first_box_fits, sniff_video

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# mime -> (Pillow plugin to open with, formats Pillow may report for it). A JPEG carrying
# multi-picture data comes back from the JPEG plugin as "MPO"; its first picture is the image.
_PILLOW_FORMATS: dict[str, tuple[str, frozenset[str]]] = {
    "image/jpeg": ("JPEG", frozenset({"JPEG", "MPO"})),
    "image/png": ("PNG", frozenset({"PNG"})),
    "image/gif": ("GIF", frozenset({"GIF"})),
    "image/webp": ("WEBP", frozenset({"WEBP"})),
}

# What Pillow raises on hostile or broken input (its own fuzz tests list most of these).
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes PIL.UnidentifiedImageError and "image file is truncated"
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    struct.error,
    zlib.error,
    NotImplementedError,
    OverflowError,
)
# Pillow reports its own text-chunk limits (PNG zTXt/iTXt/iCCP bombs) as ValueError.
_SIZE_LIMIT_HINTS = ("too large", "too much memory")


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """Upper bounds enforced before decoding, so hostile files cost little.

    ``max_bytes`` bounds the encoded size; ``max_pixels`` (width * height of the first frame)
    and ``max_side`` (longest side, in pixels) are read from the header before any decoding.
    ``max_png_chunks`` bounds a PNG's chunks other than image data (IDAT): real files have a
    handful, while 3.4 million tiny text chunks in 51 MB cost 50 s and 637 MB to scan before
    this limit (every chunk is parsed by Pillow, C2PA and the metadata reader).
    """

    max_bytes: int = 50 * 1024 * 1024
    max_pixels: int = 40_000_000
    max_side: int = 20_000
    max_png_chunks: int = 1024

    def __post_init__(self) -> None:
        for name in ("max_bytes", "max_pixels", "max_side", "max_png_chunks"):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"MediaLimits.{name} must be >= 1, got {value!r}")


def sniff_mime(data: bytes) -> str | None:
    """The MIME type named by the magic bytes at the start of ``data``, or ``None``.

    Only the four supported image formats are recognised; file names are never consulted.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(_PNG_SIGNATURE):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def load_media(
    data: bytes,
    *,
    source: str,
    limits: MediaLimits = MediaLimits(),
    item_id: ItemId | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> MediaItem:
    """Check, decode and wrap one image held in memory.

    ``source`` names the bytes in errors (a path, URL or upload id). The first frame is decoded
    once, EXIF orientation is applied (``width``/``height`` are after it) and the pixels are
    converted to RGB; an alpha channel is dropped, not composited onto a background.
    ``item_id`` defaults to ``content_item_id(data)``.

    Raises ``MediaTooLarge`` (byte, pixel or side limit; Pillow's decompression-bomb check),
    ``UnsupportedMedia`` (not JPEG, PNG, GIF or WebP by its magic bytes) or ``CorruptMedia``
    (empty, truncated or undecodable). Pillow's own exceptions and warnings never escape.
    MP4 and MOV files (by their ``ftyp`` box) become ``MediaKind.VIDEO`` items that are not
    decoded (``pixels`` None, width and height 0) for container-level detectors such as C2PA;
    PDF files (``%PDF-``) become ``MediaKind.DOCUMENT`` items the same way.
    """
    if len(data) > limits.max_bytes:
        raise MediaTooLarge(source, _too_many_bytes(len(data), limits))
    if not data:
        raise CorruptMedia(source, "empty file (0 bytes)")
    mime = sniff_mime(data)
    if mime is None:
        video = sniff_video(data)
        if video is not None:
            return _undecoded_item(data, video, source, item_id, attributes)
        if data.startswith(PDF_MAGIC):
            return _undecoded_item(data, PDF_MIME, source, item_id, attributes)
        raise UnsupportedMedia(
            source,
            "not a JPEG, PNG, GIF or WebP image, an MP4/MOV video or a PDF document "
            f"(starts with {data[:12]!r})",
        )
    if mime == "image/png":
        _check_png_chunks(data, source=source, limit=limits.max_png_chunks)
    pixels = _decode(data, mime=mime, source=source, limits=limits)
    return MediaItem(
        item_id=item_id if item_id is not None else content_item_id(data),
        kind=MediaKind.IMAGE,
        mime=mime,
        width=pixels.width,
        height=pixels.height,
        data=data,
        source=source,
        pixels=pixels,
        attributes=dict(attributes or {}),
    )


PDF_MAGIC = b"%PDF-"
PDF_MIME = "application/pdf"


def _undecoded_item(
    data: bytes,
    mime: str,
    source: str,
    item_id: ItemId | None,
    attributes: Mapping[str, AttributeValue] | None,
) -> MediaItem:
    """A video container or a PDF, not decoded: container-level detectors (C2PA) read ``data``;
    no pixel detector examines it. A truncated file (box past its end, no %%EOF) is refused."""
    if mime == PDF_MIME:
        if b"%%EOF" not in data[-2048:]:
            raise CorruptMedia(source, "PDF without its %%EOF end marker (truncated?)")
        kind = MediaKind.DOCUMENT
    else:
        if not first_box_fits(data):
            raise CorruptMedia(source, "ISO-BMFF box size is larger than the file")
        kind = MediaKind.VIDEO
    return MediaItem(
        item_id=item_id if item_id is not None else content_item_id(data),
        kind=kind,
        mime=mime,
        width=0,
        height=0,
        data=data,
        source=source,
        attributes=dict(attributes or {}),
    )


def read_media_file(
    path: Path,
    *,
    limits: MediaLimits = MediaLimits(),
    item_id: ItemId | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
) -> MediaItem:
    """Load the image file at ``path``; errors name the path.

    The size is checked with ``stat`` before any byte is read, and the read itself is bounded,
    so a file that grows in between still cannot exhaust memory. Non-regular files (FIFOs,
    devices, directories) are refused rather than read. A file that cannot be stat'ed or read
    raises ``InvalidInput``; everything else is as in ``load_media``.
    """
    source = str(path)
    try:
        file_stat = path.stat()
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(file_stat.st_mode):
        raise InvalidInput(f"{source}: not a regular file")
    if file_stat.st_size > limits.max_bytes:
        raise MediaTooLarge(source, _too_many_bytes(file_stat.st_size, limits))
    try:
        with path.open("rb") as file:
            data = file.read(limits.max_bytes + 1)
    except OSError as exc:
        raise InvalidInput(f"{source}: cannot read: {exc.strerror or exc}") from exc
    return load_media(data, source=source, limits=limits, item_id=item_id, attributes=attributes)


def png_chunk_count(data: bytes, stop_after: int) -> int:
    """The number of chunks other than IDAT in a PNG, counting stops past ``stop_after``.

    Walks the chunk headers only (length, type; the data and CRC are skipped), so a hostile
    file costs ``stop_after`` steps at most. A truncated tail ends the walk: decoding reports
    the file as corrupt."""
    offset, count = len(_PNG_SIGNATURE), 0
    while offset + 8 <= len(data) and count <= stop_after:
        length, kind = struct.unpack_from(">I4s", data, offset)
        if kind == b"IEND":
            break
        if kind != b"IDAT":
            count += 1
        offset += 12 + length
    return count


def _check_png_chunks(data: bytes, *, source: str, limit: int) -> None:
    count = png_chunk_count(data, stop_after=limit)
    if count > limit:
        raise MediaTooLarge(
            source,
            f"PNG with more than {limit} chunks besides image data (media.max_png_chunks): "
            "refused before decoding",
        )


def _too_many_bytes(size: int, limits: MediaLimits) -> str:
    return f"{size} bytes exceeds the limit of {limits.max_bytes} bytes"


def _decode(data: bytes, *, mime: str, source: str, limits: MediaLimits) -> Image.Image:
    """Decode the first frame to RGB, translating every Pillow failure to a typed error.

    Warnings are scoped to this call: Pillow's decompression-bomb warning is superseded by our
    own limits, and its data-recovery warnings (e.g. corrupt EXIF) describe an image that still
    decoded. No Pillow global (``MAX_IMAGE_PIXELS``, ``LOAD_TRUNCATED_IMAGES``) is changed.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        warnings.filterwarnings("ignore", category=UserWarning, module=r"PIL\.")
        try:
            return _decode_first_frame(data, mime=mime, source=source, limits=limits)
        except Image.DecompressionBombError as exc:
            raise MediaTooLarge(source, f"Pillow refused it: {exc}") from exc
        except MemoryError as exc:
            raise MediaTooLarge(source, "ran out of memory while decoding") from exc
        except UnidentifiedImageError as exc:
            raise CorruptMedia(source, f"Pillow cannot parse the {mime} header") from exc
        except _DECODE_ERRORS as exc:
            message = f"cannot decode {mime}: {exc}"
            if isinstance(exc, ValueError) and _is_size_limit(exc):
                raise MediaTooLarge(source, message) from exc
            raise CorruptMedia(source, message) from exc


def _decode_first_frame(data: bytes, *, mime: str, source: str, limits: MediaLimits) -> Image.Image:
    plugin, reported_formats = _PILLOW_FORMATS[mime]
    # The file object is ours (not a path), so leaving the block only drops Pillow's reference
    # to it; the loaded pixels stay usable.
    with Image.open(io.BytesIO(data), formats=[plugin]) as image:
        if image.format not in reported_formats:
            raise CorruptMedia(source, f"sniffed as {mime} but Pillow reads {image.format!r}")
        _check_dimensions(image.size, source=source, limits=limits)
        # Raises OSError on truncated data only while LOAD_TRUNCATED_IMAGES is at its default.
        _require_truncation_check()
        image.load()
        ImageOps.exif_transpose(image, in_place=True)
        return _to_rgb(image)


def _require_truncation_check() -> None:
    """Refuse to decode when another library in this process switched Pillow's process-wide
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` on (WeasyPrint does on import): truncated files would
    then decode silently instead of raising ``CorruptMedia``."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        raise ConfigError(
            "Pillow's ImageFile.LOAD_TRUNCATED_IMAGES was switched on in this process (by "
            "another library); deepscreen refuses to decode media rather than accept truncated "
            "files. Set it back to False."
        )


def _check_dimensions(size: tuple[int, int], *, source: str, limits: MediaLimits) -> None:
    width, height = size
    if max(width, height) > limits.max_side:
        raise MediaTooLarge(
            source, f"{width}x{height} image: a side exceeds the limit of {limits.max_side} pixels"
        )
    if width * height > limits.max_pixels:
        raise MediaTooLarge(
            source,
            f"{width}x{height} image ({width * height} pixels) exceeds the limit of "
            f"{limits.max_pixels} pixels",
        )


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB without a copy when already RGB. Alpha is dropped, not composited."""
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I;16"):
        # 16-bit grey (PNG): scale to 8 bits; a plain convert would clip everything above 255.
        image = image.point(lambda value: value / 256)
    return image.convert("RGB")


def _is_size_limit(exc: ValueError) -> bool:
    message = str(exc).lower()
    return any(hint in message for hint in _SIZE_LIMIT_HINTS)
