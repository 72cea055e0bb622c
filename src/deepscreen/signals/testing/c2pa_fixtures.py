"""C2PA-signed sample media made in memory (signed by ``c2pa_test_certs``' throw-away chain) for the
C2PA detector's examples and tests. Test data only; nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import functools
import struct
import time
from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

import c2pa
from PIL import Image

from deepscreen.signals.testing.c2pa_certs import Credentials, credentials

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"
GENERATOR = "deepscreen-fixtures"
AGENT = "deepscreen test diffusion"
SIZE = (64, 48)
_SIGNING_SETTINGS = {
    "builder": {"thumbnail": {"enabled": False}},  # smaller, faster fixtures
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}
Ingredient = tuple[Mapping[str, Any], str, bytes]
"""(ingredient JSON, mime, bytes) as ``c2pa.Builder.add_ingredient`` takes them."""


@functools.cache
def _default_credentials() -> Credentials:
    return credentials()


def action(
    name: str, source_type: str | None = None, *, agent: str | None = AGENT
) -> dict[str, Any]:
    """One ``c2pa.actions.v2`` entry; ``source_type`` is an IPTC term such as ``digitalCapture``."""
    entry: dict[str, Any] = {"action": name}
    if agent is not None:
        entry["softwareAgent"] = {"name": agent}
    if source_type is not None:
        entry["digitalSourceType"] = IPTC + source_type
    return entry


def manifest(actions: Sequence[Mapping[str, Any]], title: str = "fixture") -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": "1"}],
        "title": title,
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": list(actions)}}],
    }


def sign(
    definition: Mapping[str, Any],
    mime: str,
    data: bytes,
    *,
    creds: Credentials | None = None,
    ingredients: Sequence[Ingredient] = (),
    remote_url: str | None = None,
) -> bytes:
    """``data`` with ``definition`` signed (ES256, no timestamp authority) and embedded, or, with
    ``remote_url``, only referenced from XMP (the manifest itself is discarded)."""
    creds = creds or _default_credentials()
    info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, creds.chain_pem, creds.key_pem, None)
    context = c2pa.Context.from_dict(_SIGNING_SETTINGS)
    with c2pa.Signer.from_info(info) as signer, c2pa.Builder(dict(definition), context) as builder:
        if remote_url is not None:
            builder.set_no_embed()
            builder.set_remote_url(remote_url)
        for ingredient, ingredient_mime, ingredient_data in ingredients:
            builder.add_ingredient(dict(ingredient), ingredient_mime, BytesIO(ingredient_data))
        out = BytesIO()
        builder.sign(signer, mime, BytesIO(data), out)
    return out.getvalue()


def image(fmt: str = "JPEG", size: tuple[int, int] = SIZE, colour: int = 0) -> bytes:
    """A gradient image (so JPEG scan data is not all alike) encoded as ``fmt`` by Pillow."""
    width, height = size
    pixels = bytes((x * 255 // width + colour) % 256 for _ in range(height) for x in range(width))
    gray = Image.frombytes("L", size, pixels)
    buffer = BytesIO()
    Image.merge("RGB", (gray, gray.transpose(Image.Transpose.FLIP_LEFT_RIGHT), gray)).save(
        buffer, fmt
    )
    return buffer.getvalue()


def minimal_mp4() -> bytes:
    """A hand-built ISO-BMFF file: ftyp + moov(mvhd) + mdat, no tracks. c2pa-rs hashes boxes
    (``c2pa.hash.bmff.v2``) and never decodes media, so this is enough to sign and verify."""
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    mvhd = struct.pack(">IIIII", 0, 0, 0, 1000, 0)  # version/flags, times, timescale, duration
    mvhd += struct.pack(">IH", 0x10000, 0x100) + bytes(10) + matrix + bytes(24)
    mvhd += struct.pack(">I", 2)  # next track id
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
    return ftyp + _box(b"moov", _box(b"mvhd", mvhd)) + _box(b"mdat", bytes(range(256)) * 4)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


@functools.cache
def ai_created(mime: str = "image/jpeg") -> bytes:
    """``c2pa.created`` + trainedAlgorithmicMedia; mime is image/jpeg, image/png, image/webp,
    video/mp4 or application/pdf."""
    fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP", "application/pdf": "PDF"}
    data = minimal_mp4() if mime == "video/mp4" else image(fmt[mime])
    return sign(manifest([action("c2pa.created", "trainedAlgorithmicMedia")]), mime, data)


@functools.cache
def ai_edited_jpeg() -> bytes:
    """A composite with AI parts: ``c2pa.edited`` + compositeWithTrainedAlgorithmicMedia."""
    edit = action("c2pa.edited", "compositeWithTrainedAlgorithmicMedia")
    return sign(manifest([action("c2pa.created", "digitalCapture"), edit]), "image/jpeg", image())


@functools.cache
def captured_jpeg() -> bytes:
    """A camera-style claim: ``c2pa.created`` + digitalCapture."""
    created = action("c2pa.created", "digitalCapture", agent="deepscreen test camera")
    return sign(manifest([created]), "image/jpeg", image(colour=60))


@functools.cache
def exif_only_jpeg() -> bytes:
    """A camera-style v1 claim with only ``stds.exif`` and no actions (as Nikon Z 9 and Truepic
    files): no digital source type at all. v2 claims must start with created/opened."""
    exif = {"@context": {"exif": "http://ns.adobe.com/exif/1.0/"}, "exif:Make": "deepscreen"}
    definition = {
        "claim_version": 1,
        "claim_generator_info": [{"name": GENERATOR, "version": "1"}],
        "title": "camera.jpg",
        "assertions": [{"label": "stds.exif", "data": exif}],
    }
    return sign(definition, "image/jpeg", image(colour=180))


@functools.cache
def ai_in_ingredient_jpeg() -> bytes:
    """Active manifest says only opened + edited (no source type); the AI declaration lives in
    the parent ingredient's manifest, as in ChatGPT's and Gemini's edit outputs."""
    parent = {"title": "parent.jpg", "relationship": "parentOf", "label": "parent"}
    opened = {"action": "c2pa.opened", "parameters": {"ingredientIds": ["parent"]}}
    edited = action("c2pa.edited", agent="deepscreen test editor")
    definition = manifest([opened, edited], title="edited.jpg")
    ingredients = [(parent, "image/jpeg", ai_created("image/jpeg"))]
    return sign(definition, "image/jpeg", image(colour=120), ingredients=ingredients)


@functools.cache
def tampered_jpeg() -> bytes:
    """``ai_created`` with scan-data bytes changed after signing: the data hash mismatches."""
    data = bytearray(ai_created("image/jpeg"))
    start = data.rfind(b"\xff\xda")  # the last SOS; entropy-coded data cannot contain FF DA
    scan = start + 4 + int.from_bytes(data[start + 2 : start + 4], "big")
    # Flip the low bit of 8 bytes that are neither FF nor after FF, so no marker is forged.
    safe = [i for i in range(scan + 8, len(data) - 2) if data[i] < 0xFE and data[i - 1] != 0xFF]
    for i in safe[:8]:
        data[i] ^= 0x01
    return bytes(data)


@functools.cache
def stripped_jpeg() -> bytes:
    """``ai_created`` re-encoded by Pillow: same picture, the manifest is gone."""
    buffer = BytesIO()
    with Image.open(BytesIO(ai_created("image/jpeg"))) as opened:
        opened.convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@functools.cache
def remote_reference_jpeg() -> bytes:
    """A JPEG whose XMP only points at a cloud manifest (like c2pa-rs's ``cloud.jpg``)."""
    created = action("c2pa.created", "trainedAlgorithmicMedia")
    url = "https://manifests.example.invalid/deepscreen.c2pa"
    return sign(manifest([created]), "image/jpeg", image(colour=90), remote_url=url)


@functools.cache
def expired_signer_jpeg(lifetime_s: float = 2.0) -> bytes:
    """``ai_created`` signed by a certificate that expires ``lifetime_s`` after signing; returns
    once it has expired (sleeps about ``lifetime_s`` + 1 s). c2pa refuses to sign with a
    certificate that is already expired, so this is the only way to get one offline."""
    creds = credentials(dt.timedelta(seconds=lifetime_s))
    created = action("c2pa.created", "trainedAlgorithmicMedia")
    data = sign(manifest([created]), "image/jpeg", image(colour=200), creds=creds)
    wait = creds.not_valid_after.timestamp() + 1.0 - time.time()
    if wait > 0:
        time.sleep(wait)  # X.509 times have 1 s resolution: wait one more second
    return data
