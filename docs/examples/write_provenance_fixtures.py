"""Write one file per provenance case, made here with deepscreen's own fixture code (no downloads),
so that ``deepscreen scan DIR --format table`` shows how each is read and decided.

    .venv/bin/python docs/examples/write_provenance_fixtures.py /tmp/provenance
    .venv/bin/deepscreen scan /tmp/provenance --db memory:// --format table

The C2PA files are signed with a throw-away certificate chain generated on the spot, so every
signer reads as untrusted; that is the honest reading of a test certificate.
"""

from __future__ import annotations

import io
import sys
from importlib.resources import files
from pathlib import Path

import numpy as np
from PIL import Image

from deepscreen.signals.metadata.detector import MetadataDetector
from deepscreen.signals.testing import c2pa_fixtures
from deepscreen.signals.watermark import dwtdct
from deepscreen.signals.watermark.detector import KNOWN_MESSAGES

# file name -> the decision the shipped policy should make
EXPECTED = {
    "c2pa_ai_created.jpg": "label",
    "c2pa_ai_created.mp4": "label",
    "c2pa_ai_edited.jpg": "label",
    "c2pa_ai_only_in_ingredient.jpg": "label",
    "c2pa_camera_capture.jpg": "allow",
    "c2pa_tampered_after_signing.jpg": "review",
    "c2pa_stripped_by_reencode.jpg": "allow",
    "c2pa_remote_reference.jpg": "allow",
    "sdxl_watermark.png": "label",
    "a1111_parameters.png": "label",
    "comfyui_workflow.png": "label",
    "iptc_trained_algorithmic_media.jpg": "label",
    "iptc_digital_capture.jpg": "allow",
    "plain_photo.jpg": "allow",
}


def sdxl_watermarked_png() -> bytes:
    """A bundled photo marked the way diffusers' SDXL pipeline marks its outputs."""
    with Image.open(files("skimage.data") / "astronaut.png") as im:
        rgb = np.asarray(im.convert("RGB"))
    sdxl = next(m for m in KNOWN_MESSAGES if m.key == "sdxl")
    marked = dwtdct.encode(rgb.astype(np.float32), sdxl.bits)  # RGB passed as BGR, as diffusers
    buffer = io.BytesIO()
    Image.fromarray(np.clip(np.round(marked), 0, 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def plain_photo() -> bytes:
    with Image.open(files("skimage.data") / "coffee.png") as im:
        buffer = io.BytesIO()
        im.convert("RGB").save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def fixtures() -> dict[str, bytes]:
    a1111, comfy, iptc_ai, iptc_capture, _plain = (
        item.data for item in MetadataDetector().get_examples()
    )
    return {
        "c2pa_ai_created.jpg": c2pa_fixtures.ai_created("image/jpeg"),
        "c2pa_ai_created.mp4": c2pa_fixtures.ai_created("video/mp4"),
        "c2pa_ai_edited.jpg": c2pa_fixtures.ai_edited_jpeg(),
        "c2pa_ai_only_in_ingredient.jpg": c2pa_fixtures.ai_in_ingredient_jpeg(),
        "c2pa_camera_capture.jpg": c2pa_fixtures.captured_jpeg(),
        "c2pa_tampered_after_signing.jpg": c2pa_fixtures.tampered_jpeg(),
        "c2pa_stripped_by_reencode.jpg": c2pa_fixtures.stripped_jpeg(),
        "c2pa_remote_reference.jpg": c2pa_fixtures.remote_reference_jpeg(),
        "sdxl_watermark.png": sdxl_watermarked_png(),
        "a1111_parameters.png": a1111,
        "comfyui_workflow.png": comfy,
        "iptc_trained_algorithmic_media.jpg": iptc_ai,
        "iptc_digital_capture.jpg": iptc_capture,
        "plain_photo.jpg": plain_photo(),
    }


def main(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in fixtures().items():
        (directory / name).write_bytes(data)
        written.append(directory / name)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "provenance-fixtures")
    for path in main(out):
        print(path)
