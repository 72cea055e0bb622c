"""MetadataDetector on malformed and hostile input: never raises, bounded work and evidence."""

from __future__ import annotations

import gzip
import json
import struct
import zlib
from io import BytesIO

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.metadata import fields as metadata_fields
from deepscreen.signals.metadata.detector import MAX_EVIDENCE_MARKERS, NO_METADATA, MetadataDetector

A1111 = "a duck\nNegative prompt: blurry\nSteps: 15, Sampler: UniPC, CFG scale: 5, Seed: 1"


def detect(data: bytes) -> SignalResult:
    item = MediaItem(content_item_id(data), MediaKind.IMAGE, "image/x", 8, 8, data)
    return MetadataDetector().detect(item)


def png(text: dict[str, str] | None = None, mode: str = "RGB", size: int = 8) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = BytesIO()
    Image.new(mode, (size, size)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def insert_before_iend(data: bytes, extra: bytes) -> bytes:
    iend = data.rindex(b"IEND") - 4
    return data[:iend] + extra + data[iend:]


def stealth_png(
    payload: bytes, magic: bytes = b"stealth_pngcomp", bit_length: int | None = None
) -> bytes:
    """Write A1111 stealth pnginfo: alpha LSBs, column-major, magic + 32-bit BE bit length."""
    n_bits = 8 * len(payload) if bit_length is None else bit_length
    header = magic + n_bits.to_bytes(4, "big")
    bits = np.unpackbits(np.frombuffer(header + payload, dtype=np.uint8))
    side = int(np.ceil(np.sqrt(bits.size))) + 1
    alpha = np.full(side * side, 254, dtype=np.uint8)
    alpha[: bits.size] |= bits
    rgba = np.zeros((side, side, 4), dtype=np.uint8)
    rgba[..., 3] = alpha.reshape(side, side).T  # column-major: down each column first
    buffer = BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("key", ["prompt", "workflow", "invokeai_metadata", "sd-metadata"])
def test_malformed_json_counts_a_parse_error_and_abstains(key: str) -> None:
    result = detect(png({key: '{"3": {"class_type": '}))
    assert result.abstain_reason == NO_METADATA
    assert result.evidence["parse_errors"] == 1


def test_deeply_nested_json_is_a_parse_error_not_a_crash() -> None:
    result = detect(png({"prompt": "[" * 100_000}))
    assert result.abstained


def test_malformed_json_does_not_hide_other_markers() -> None:
    result = detect(png({"prompt": "{not json", "parameters": A1111}))
    assert result.score == 1.0
    assert result.evidence["parse_errors"] == 1


@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00garbage",
        b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x31\x00\x02\x00\x00\x00\x50\x00\x00\x00\x99",
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00\xff\xff\x00\x00",
    ],
    ids=["not_tiff", "tag_past_end", "bad_exif_ifd_offset"],
)
def test_bad_exif_does_not_raise(exif: bytes) -> None:
    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "JPEG", exif=exif)
    result = detect(buffer.getvalue())
    assert result.abstained


def test_bad_exif_chunk_in_png_does_not_raise() -> None:
    data = insert_before_iend(png(), chunk(b"eXIf", b"MM\x00*garbage"))
    assert detect(data).abstained


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00" * 64, b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00", b"GIF89a"],
    ids=["empty", "zeros", "png_signature_only", "truncated_jpeg", "truncated_gif"],
)
def test_garbage_bytes_abstain(data: bytes) -> None:
    assert detect(data).abstained


def test_truncated_png_keeps_markers_read_so_far() -> None:
    data = png({"parameters": A1111})
    cut = data[: data.index(b"IDAT") + 10]
    result = detect(cut)
    assert result.score == 1.0
    assert result.evidence["parse_errors"] == 1


def test_text_chunk_after_idat_is_read_without_decoding_pixels() -> None:
    data = insert_before_iend(png(), chunk(b"tEXt", b"parameters\x00" + A1111.encode()))
    assert detect(data).evidence["tools"] == ["automatic1111"]


def test_ztxt_parameters_are_inflated() -> None:
    body = b"parameters\x00\x00" + zlib.compress(A1111.encode())
    assert detect(insert_before_iend(png(), chunk(b"zTXt", body))).score == 1.0


def test_ztxt_with_corrupt_stream_is_a_parse_error() -> None:
    result = detect(insert_before_iend(png(), chunk(b"zTXt", b"parameters\x00\x00notzlib")))
    assert result.abstained
    assert result.evidence["parse_errors"] == 1


def test_ztxt_bomb_is_inflated_only_up_to_the_field_limit() -> None:
    bomb = zlib.compress(b"A" * (64 << 20), 9)  # 64 MiB of text in ~64 KiB
    fields = metadata_fields.read_fields(
        insert_before_iend(png(), chunk(b"zTXt", b"k\x00\x00" + bomb))
    )
    assert len(fields.fields[0].value) == metadata_fields.MAX_FIELD_CHARS


def test_xmp_outside_the_search_windows_is_not_read() -> None:
    packet = (
        b'<x:xmpmeta><rdf:Description iptcExt:DigitalSourceType="trainedAlgorithmicMedia"/>'
        b"</x:xmpmeta>"
    )
    window = metadata_fields.XMP_WINDOW_BYTES
    inside = packet + b"\0" * (3 * window)
    middle = b"\0" * (2 * window) + packet + b"\0" * (2 * window)
    assert detect(inside).score == 1.0
    assert detect(middle).abstained


def test_evidence_is_bounded_in_markers_and_value_length() -> None:
    info = PngImagePlugin.PngInfo()
    for i in range(40):  # 40 distinct Software chunks, each naming a generator
        info.add_text("Software", f"ComfyUI build {i:02d} " + "y" * 500)
    buffer = BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG", pnginfo=info)
    evidence = detect(buffer.getvalue()).evidence
    assert len(evidence["markers"]) == MAX_EVIDENCE_MARKERS
    assert evidence["markers_omitted"] == 40 - MAX_EVIDENCE_MARKERS
    assert all(len(m["value"]) <= 200 for m in evidence["markers"])
    assert len(json.dumps(evidence)) < 10_000


def test_stealth_pnginfo_compressed_names_automatic1111() -> None:
    result = detect(stealth_png(gzip.compress(A1111.encode())))
    assert result.score == 1.0
    assert result.evidence["tools"] == ["automatic1111"]
    assert result.evidence["markers"][0]["source"] == "png_alpha:stealth_pngcomp"


def test_stealth_pnginfo_plain_names_novelai_from_json() -> None:
    payload = json.dumps({"Software": "NovelAI", "Comment": "{}"}).encode()
    result = detect(stealth_png(payload, magic=b"stealth_pnginfo"))
    assert result.evidence["tools"] == ["novelai"]


def test_stealth_with_corrupt_gzip_is_a_parse_error() -> None:
    result = detect(stealth_png(b"not gzip at all"))
    assert result.abstained
    assert result.evidence["parse_errors"] == 1


def test_stealth_with_oversized_length_is_refused_without_reading() -> None:
    result = detect(stealth_png(b"x", bit_length=(1 << 32) - 8))
    assert result.abstained
    assert result.evidence["parse_errors"] == 1


def test_rgba_png_without_stealth_abstains() -> None:
    assert detect(png(mode="RGBA", size=32)).abstain_reason == NO_METADATA
