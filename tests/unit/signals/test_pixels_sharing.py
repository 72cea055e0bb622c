"""Pixels derived once per item and shared by detectors: the PDQ downscale, the RGB array, and
hashes identical to hashing the decoded image directly (golden values from before sharing)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.media import load_media
from deepscreen.service import run_detectors
from deepscreen.signals.c2pa.detector import C2paDetector
from deepscreen.signals.hashmatch import pdq as pdq_module
from deepscreen.signals.hashmatch.detector import HashMatchDetector
from deepscreen.signals.hashmatch.pdq import PDQ_KEY, item_pdq_hash, pdq_hash
from deepscreen.signals.metadata.detector import MetadataDetector
from deepscreen.signals.pixels import BOX_REDUCED, RGB_ARRAY, box_reduced, rgb_array, rgb_image
from deepscreen.signals.watermark import detector as watermark_module
from deepscreen.signals.watermark.detector import WatermarkDetector

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
PDQ_REFERENCE = REPO_ROOT.parent / "shared" / "testdata" / "pdq-reference"
# pdq_hash of photo(seed, size) computed by the code before the downscale was shared.
GOLDEN = [
    (0, (1024, 768), "d77ac842fe50cd2eb6393291812f37bd2a84e1632ccad3e590730ef305cbce83"),
    (1, (320, 240), "f502a84b35324a82357d347dd2c717b408fdc071902d39bcc7781b7b587d3d8b"),
    (2, (1500, 1000), "b4cd087df1db0c47f3dd73b80e24f782cb3235c468ea17f100232785e6aae4ce"),
    (3, (1001, 777), "3ef270cb6452e0011efe1bfe1b050934c14d1ae96a21de8a23a7f05b22d6dfe7"),
    (4, (768, 1024), "e4aff9c72a67d0362fa92fc9d59896383b50028dc5f7fa41d51d368bc2101275"),
]


def photo(seed: int, size: tuple[int, int]) -> Image.Image:
    """Smooth colour blobs plus a little noise: a PDQ quality of 100."""
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    smooth = np.asarray(blobs.resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    noisy = smooth + rng.integers(-6, 7, smooth.shape)
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))


def png_item(image: Image.Image) -> MediaItem:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)
    return load_media(buffer.getvalue(), source="test.png")


def count_reduce(monkeypatch: pytest.MonkeyPatch, image: Image.Image) -> list[int]:
    """Counts calls of ``image.reduce`` (this one image object only)."""
    calls: list[int] = []
    original = image.reduce

    def counting(factor, box=None):
        calls.append(factor)
        return original(factor, box)

    monkeypatch.setattr(image, "reduce", counting)
    return calls


@pytest.mark.parametrize(("seed", "size", "expected"), GOLDEN, ids=[str(g[1]) for g in GOLDEN])
def test_item_hash_equals_golden_and_direct_hash_when_any_size(seed, size, expected):
    item = png_item(photo(seed, size))
    assert item_pdq_hash(item).hex == expected
    assert pdq_hash(item.pixels) == item_pdq_hash(item)


def test_hashmatch_evidence_holds_the_golden_hash_when_downscale_shared():
    seed, size, expected = GOLDEN[0]
    result = HashMatchDetector().detect(png_item(photo(seed, size)))
    assert result.evidence["pdq"] == expected


def test_downscale_is_computed_once_when_many_consumers(monkeypatch):
    item = png_item(photo(0, (1024, 768)))
    calls = count_reduce(monkeypatch, item.pixels)
    first = box_reduced(item, 2)
    HashMatchDetector().detect(item)
    HashMatchDetector().detect(item)
    assert box_reduced(item, 2) is first
    assert calls == [2]


def test_pdq_runs_once_per_item_on_the_shared_downscale(monkeypatch):
    item = png_item(photo(0, (1024, 768)))
    seen: list[np.ndarray] = []
    original = pdq_module.pdqhash.compute

    def spy(pixels):
        seen.append(pixels)
        return original(pixels)

    monkeypatch.setattr(pdq_module.pdqhash, "compute", spy)
    results = [HashMatchDetector().detect(item) for _ in range(3)]
    assert len(seen) == 1
    assert np.array_equal(seen[0], np.asarray(box_reduced(item, 2)))
    assert len({r.evidence["pdq"] for r in results}) == 1
    assert item.derived[PDQ_KEY] == item_pdq_hash(item)


def test_watermark_decodes_the_shared_rgb_array(monkeypatch):
    item = png_item(photo(1, (512, 384)))
    seen: list[np.ndarray] = []
    original = watermark_module.dwtdct.block_bits_pair

    def spy(pixels):
        seen.append(pixels)
        return original(pixels)

    monkeypatch.setattr(watermark_module.dwtdct, "block_bits_pair", spy)
    WatermarkDetector().detect(item)
    WatermarkDetector().detect(item)
    assert seen[0] is rgb_array(item) and seen[1] is rgb_array(item)
    assert np.array_equal(seen[0], np.asarray(item.pixels))


def test_default_detectors_derive_each_view_once_per_item(monkeypatch):
    item = png_item(photo(2, (1024, 768)))
    calls = count_reduce(monkeypatch, item.pixels)
    detectors = [C2paDetector(), HashMatchDetector(), MetadataDetector(), WatermarkDetector()]
    for d in detectors:
        d.load()
    first = run_detectors(detectors, item)
    second = run_detectors(detectors, item)
    assert calls == [2]
    assert set(item.derived) == {BOX_REDUCED.format(factor=2), PDQ_KEY, RGB_ARRAY}
    assert [r.evidence for r in first] == [r.evidence for r in second]


def test_rgb_array_is_read_only_so_no_consumer_alters_another_s_pixels():
    array = rgb_array(png_item(photo(0, (320, 240))))
    assert array.dtype == np.uint8 and array.shape == (240, 320, 3)
    with pytest.raises(ValueError, match="read-only"):
        array[0, 0, 0] = 1


def test_rgb_image_converts_once_when_pixels_not_rgb():
    grey = photo(0, (320, 240)).convert("L")
    item = MediaItem(content_item_id(b"x"), MediaKind.IMAGE, "image/png", 320, 240, b"x", "", grey)
    assert rgb_image(item) is rgb_image(item)
    assert rgb_image(item).mode == "RGB"
    assert item_pdq_hash(item) == pdq_hash(grey)


def test_box_reduced_is_the_image_itself_when_factor_one_and_refuses_zero():
    item = png_item(photo(0, (320, 240)))
    assert box_reduced(item, 1) is item.pixels
    with pytest.raises(ValueError, match="factor"):
        box_reduced(item, 0)


def test_views_refuse_item_without_pixels():
    item = MediaItem(content_item_id(b"v"), MediaKind.VIDEO, "video/mp4", 0, 0, b"v", "")
    with pytest.raises(ValueError, match="no decoded pixels"):
        rgb_array(item)


def test_replaced_item_starts_with_nothing_derived_and_compares_equal():
    item = png_item(photo(0, (320, 240)))
    item_pdq_hash(item)
    copy = dataclasses.replace(item)
    assert copy.derived == {} and item.derived
    assert copy == item


@pytest.mark.testdata
@pytest.mark.skipif(not PDQ_REFERENCE.is_dir(), reason=f"no PDQ reference data at {PDQ_REFERENCE}")
def test_item_hash_equals_direct_hash_on_the_pdq_reference_corpus():
    paths = sorted(p for p in PDQ_REFERENCE.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    assert len(paths) >= 20
    for path in paths:
        with Image.open(path) as image:
            direct = pdq_hash(ImageOps.exif_transpose(image).convert("RGB"))
        assert item_pdq_hash(load_media(path.read_bytes(), source=str(path))) == direct, path
