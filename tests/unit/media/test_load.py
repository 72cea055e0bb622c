"""Tests for deepscreen.media.load: every input is generated here with Pillow (or zlib)."""

from __future__ import annotations

import io
import os
import random
import struct
import warnings
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageFile, PngImagePlugin, features

import deepscreen.media
from deepscreen.core.errors import CorruptMedia, InvalidInput, MediaTooLarge, UnsupportedMedia
from deepscreen.core.media import AttributeValue, MediaKind, content_item_id
from deepscreen.media import MediaLimits, load_media, read_media_file, sniff_mime

REPO_ROOT = Path(__file__).resolve().parents[3]
BAD_IMAGES = REPO_ROOT.parent / "shared" / "testdata" / "sd-parsers-metadata" / "bad_images"

FORMATS = [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif")]
if features.check("webp"):
    FORMATS.append(("WEBP", "image/webp"))

RED, BLUE, LIME = (255, 0, 0), (0, 0, 255), (0, 255, 0)


def _noise(size: tuple[int, int] = (64, 48), seed: int = 0) -> Image.Image:
    """Random pixels: they do not compress, so a cut file really loses pixel data."""
    rng = random.Random(seed)
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width: int, height: int, *, valid_body: bool = True) -> bytes:
    """A 1-bit PNG of ``width`` x ``height`` zeros: a few KB that would decode to width*height.

    With ``valid_body=False`` the IDAT holds garbage, so any attempt to decode would fail as
    corrupt; MediaTooLarge then proves the limit was checked from the header alone.
    """
    if valid_body:
        scanlines = bytes((1 + (width + 7) // 8) * height)
        idat = zlib.compress(scanlines, 9)
    else:
        idat = b"not zlib at all"
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _halves(
    size: tuple[int, int], left: tuple[int, int, int], right: tuple[int, int, int]
) -> Image.Image:
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image


def _close(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


# --- sniffing -------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mime"), FORMATS)
def test_sniff_mime_names_format_when_magic_bytes_match(fmt: str, mime: str) -> None:
    assert sniff_mime(_encode(_noise(), fmt)) == mime


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, world", b"\xff\xd8", b"\x89PNG", b"GIF88a....", b"RIFF\0\0\0\0WAVEfmt ", b"BM"],
)
def test_sniff_mime_is_none_when_magic_bytes_unknown(data: bytes) -> None:
    assert sniff_mime(data) is None


# --- successful loads -----------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "mime"), FORMATS)
def test_loads_rgb_item_when_format_supported(fmt: str, mime: str) -> None:
    data = _encode(_noise((40, 30)), fmt)

    item = load_media(data, source="upload-1")

    assert item.kind is MediaKind.IMAGE
    assert item.mime == mime
    assert (item.width, item.height) == (40, 30)
    assert item.pixels.mode == "RGB"
    assert item.pixels.size == (40, 30)
    assert item.data is data
    assert item.source == "upload-1"
    assert item.item_id == content_item_id(data)


def test_keeps_caller_id_and_attributes_when_given() -> None:
    attributes: dict[str, AttributeValue] = {"uploader": "u1", "creator_disclosed": True}

    item = load_media(_encode(_noise(), "PNG"), source="s", item_id="item-7", attributes=attributes)

    assert item.item_id == "item-7"
    assert item.attributes == attributes
    assert item.attributes is not attributes


def test_loads_as_jpeg_when_jpeg_holds_multi_picture_data() -> None:
    first, second = _halves((32, 16), RED, BLUE), Image.new("RGB", (32, 16), LIME)
    data = _encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"

    item = load_media(data, source="mpo")

    assert item.mime == "image/jpeg"
    assert _close(item.pixels.getpixel((2, 8)), RED)


def test_format_comes_from_bytes_when_extension_lies(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(_encode(_noise(), "PNG"))

    item = read_media_file(path)

    assert item.mime == "image/png"
    assert item.source == str(path)


def test_unsupported_when_text_file_named_png(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_text("definitely not an image\n")

    with pytest.raises(UnsupportedMedia) as caught:
        read_media_file(path)

    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)


# --- broken files ---------------------------------------------------------------------------


def test_corrupt_when_file_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.write_bytes(b"")

    with pytest.raises(CorruptMedia, match="empty") as caught:
        read_media_file(path)

    assert caught.value.source == str(path)


@pytest.mark.parametrize("fmt", [fmt for fmt, _ in FORMATS])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.95])
def test_corrupt_when_file_truncated(fmt: str, fraction: float) -> None:
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # the Pillow default we rely on
    data = _encode(_noise((96, 64)), fmt)

    with pytest.raises(CorruptMedia) as caught:
        load_media(data[: int(len(data) * fraction)], source=f"cut.{fmt.lower()}")

    assert caught.value.source == f"cut.{fmt.lower()}"
    assert caught.value.__cause__ is not None


def test_corrupt_when_jpeg_lacks_only_its_end_marker() -> None:
    data = _encode(_noise(), "JPEG")
    assert data.endswith(b"\xff\xd9")

    with pytest.raises(CorruptMedia, match="truncated"):
        load_media(data[:-2], source="no-eoi.jpg")


def test_decoding_is_refused_while_another_library_lets_pillow_accept_truncated_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PIL import ImageFile

    from deepscreen.core.errors import ConfigError

    data = _encode(_noise(), "JPEG")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(ConfigError, match="LOAD_TRUNCATED_IMAGES"):
        load_media(data[:-2], source="no-eoi.jpg")
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", False)
    assert load_media(data, source="whole.jpg").width > 0


# Bytes kept before the garbage: the signature, plus the fixed header holding the dimensions
# (random dimensions would rightly be refused as MediaTooLarge instead).
HEADER_BYTES = {"JPEG": 3, "PNG": 8 + 25, "GIF": 13, "WEBP": 12}


@pytest.mark.parametrize("fmt", [fmt for fmt, _ in FORMATS])
def test_corrupt_when_body_is_garbage_after_signature(fmt: str) -> None:
    data = _encode(_noise(), fmt)
    garbage = data[: HEADER_BYTES[fmt]] + random.Random(1).randbytes(300)

    with pytest.raises(CorruptMedia) as caught:
        load_media(garbage, source="garbage")

    assert isinstance(caught.value.__cause__, OSError | SyntaxError | ValueError)


def test_loads_when_exif_is_corrupt_but_pixels_decode() -> None:
    broken_exif = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12\x00\x03\x00\x00"
    data = _encode(Image.new("RGB", (16, 8), RED), "JPEG", exif=broken_exif)

    item = load_media(data, source="camera.jpg")  # a Pillow warning would fail this test

    assert (item.width, item.height) == (16, 8)


@pytest.mark.parametrize("fmt", [fmt for fmt, _ in FORMATS])
def test_item_or_typed_error_when_bytes_are_mutated(fmt: str) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    original = _encode(_noise(), fmt, exif=exif)
    rng = random.Random(fmt)

    for _ in range(150):
        data = bytearray(original)
        for _ in range(rng.randint(1, 6)):
            position = rng.randrange(len(data))
            data[position : position + rng.randint(0, 3)] = rng.randbytes(rng.randint(0, 4))
        try:
            item = load_media(bytes(data), source="mutant")
        except InvalidInput as exc:
            assert "mutant" in str(exc)
        else:
            assert item.pixels.mode == "RGB"


# --- limits ---------------------------------------------------------------------------------


def test_too_large_when_bytes_over_limit_before_sniffing() -> None:
    with pytest.raises(MediaTooLarge, match="101 bytes") as caught:
        load_media(b"x" * 101, source="big", limits=MediaLimits(max_bytes=100))

    assert caught.value.source == "big"


def test_too_large_when_decompression_bomb_over_pixel_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _png_bomb(8_000, 8_000)  # 64 Mpx > 40 Mpx default, under Pillow's own threshold
    assert len(data) < 20_000

    def no_decode(self: Image.Image) -> None:
        raise AssertionError("the bomb's pixels were decoded")

    monkeypatch.setattr(Image.Image, "load", no_decode)  # refused from the header alone
    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decode)
    with pytest.raises(MediaTooLarge, match="64000000 pixels"):
        load_media(data, source="bomb.png")


def test_too_large_from_header_alone_when_dimensions_over_limit() -> None:
    data = _png_bomb(9_000, 9_000, valid_body=False)  # 81 Mpx: under Pillow's own threshold

    # Decoding the garbage body would raise CorruptMedia: the limit came from the header.
    with pytest.raises(MediaTooLarge, match="81000000 pixels") as caught:
        load_media(data, source="header.png")

    assert caught.value.__cause__ is None


def test_too_large_when_pillow_refuses_a_bomb_under_our_limits() -> None:
    data = _png_bomb(30_000, 30_000, valid_body=False)

    with pytest.raises(MediaTooLarge) as caught:
        load_media(data, source="header.png", limits=MediaLimits(max_pixels=10**10))

    # Pillow's own bomb check (900 Mpx) fires first here; it must not escape as itself.
    assert isinstance(caught.value.__cause__, Image.DecompressionBombError)


def test_too_large_when_pillow_would_only_warn() -> None:
    data = _png_bomb(10_000, 10_000, valid_body=False)  # 100 Mpx: Pillow warns, we refuse

    with pytest.raises(MediaTooLarge, match="100000000 pixels") as caught:
        load_media(data, source="warned.png")

    assert caught.value.__cause__ is None


def test_too_large_when_a_side_over_limit() -> None:
    data = _encode(Image.new("RGB", (101, 1)), "PNG")

    with pytest.raises(MediaTooLarge, match="side"):
        load_media(data, source="strip.png", limits=MediaLimits(max_side=100))


def test_too_large_when_png_text_chunk_is_a_bomb() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "a" * (2 * 1024 * 1024), zip=True)
    data = _encode(_noise((8, 8)), "PNG", pnginfo=info)
    assert len(data) < 20_000

    with pytest.raises(MediaTooLarge, match="too large"):
        load_media(data, source="ztxt.png")


def test_pillow_globals_untouched_when_loading() -> None:
    before = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))

    load_media(_encode(_noise(), "JPEG"), source="ok")
    with pytest.raises(MediaTooLarge):
        load_media(_png_bomb(30_000, 30_000, valid_body=False), source="bomb")

    after = (Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES, list(warnings.filters))
    assert after == before


@pytest.mark.parametrize("field", ["max_bytes", "max_pixels", "max_side"])
def test_limits_refused_when_not_positive(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        MediaLimits(**{field: 0})


# --- orientation, frames, colour modes ------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_exif_orientation_6_rotates_clockwise_when_loading(fmt: str) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: display rotated 90 degrees clockwise
    data = _encode(_halves((64, 32), RED, BLUE), fmt, exif=exif, quality=95)

    item = load_media(data, source="rotated")

    assert (item.width, item.height) == (32, 64)
    assert item.pixels.size == (32, 64)
    # The left (red) half of the stored image is the top half once rotated clockwise.
    assert _close(item.pixels.getpixel((16, 8)), RED)
    assert _close(item.pixels.getpixel((16, 56)), BLUE)


@pytest.mark.parametrize("fmt", [fmt for fmt, _ in FORMATS if fmt in ("GIF", "WEBP")])
def test_first_frame_when_animated(fmt: str) -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in (RED, LIME, BLUE)]
    data = _encode(
        frames[0], fmt, save_all=True, append_images=frames[1:], duration=50, lossless=True
    )

    item = load_media(data, source="animated")

    assert item.pixels.getpixel((4, 4)) == RED


@pytest.mark.parametrize(
    ("image", "fmt", "expected"),
    [
        (Image.new("RGB", (4, 4), (200, 10, 10)).quantize(), "PNG", (200, 10, 10)),
        (Image.new("RGBA", (4, 4), (10, 20, 30, 0)), "PNG", (10, 20, 30)),
        (Image.new("LA", (4, 4), (90, 128)), "PNG", (90, 90, 90)),
        (Image.new("L", (4, 4), 77), "PNG", (77, 77, 77)),
        (Image.new("1", (4, 4), 1), "PNG", (255, 255, 255)),
        (Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", RED),
        (Image.new("I;16", (4, 4), 40_000), "PNG", (156, 156, 156)),
    ],
    ids=["P", "RGBA", "LA", "L", "1", "CMYK", "I;16"],
)
def test_converts_to_rgb_when_mode_is_not_rgb(
    image: Image.Image, fmt: str, expected: tuple[int, int, int]
) -> None:
    data = _encode(image, fmt)
    assert Image.open(io.BytesIO(data)).mode == image.mode

    item = load_media(data, source=image.mode)

    assert item.pixels.mode == "RGB"
    assert _close(item.pixels.getpixel((1, 1)), expected, tolerance=2)


# --- files ----------------------------------------------------------------------------------


def test_read_media_file_checks_size_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.png"
    with path.open("wb") as file:
        file.truncate(2**33)  # sparse: 8 GiB on paper, nothing on disk

    with pytest.raises(MediaTooLarge, match=str(2**33)) as caught:
        read_media_file(path)  # reading 8 GiB would be slow; the stat size is in the message

    assert caught.value.source == str(path)


def test_invalid_input_when_path_is_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)  # opening it for reading would block forever

    with pytest.raises(InvalidInput, match="not a regular file"):
        read_media_file(fifo)
    with pytest.raises(InvalidInput, match="not a regular file"):
        read_media_file(tmp_path)


def test_invalid_input_when_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.png"

    with pytest.raises(InvalidInput, match="missing.png") as caught:
        read_media_file(path)

    assert isinstance(caught.value.__cause__, FileNotFoundError)


@pytest.mark.testdata
@pytest.mark.skipif(not BAD_IMAGES.is_dir(), reason=f"shared test data absent: {BAD_IMAGES}")
def test_item_or_typed_error_when_file_is_a_known_bad_image() -> None:
    paths = sorted(BAD_IMAGES.iterdir())
    assert paths

    for path in paths:
        try:
            item = read_media_file(path)
        except InvalidInput as exc:
            assert str(path) in str(exc)
        else:
            assert item.pixels.mode == "RGB"


def test_public_api_when_imported() -> None:
    assert sorted(deepscreen.media.__all__) == [
        "MediaLimits",
        "load_media",
        "read_media_file",
        "sniff_mime",
    ]
