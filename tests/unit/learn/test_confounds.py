"""Confound checks: trivial file properties that separate the classes on their own."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from deepscreen.learn.confounds import (
    ConfoundFinding,
    FileFacts,
    confound_report,
    estimate_jpeg_quality,
    facts_from_image,
    warnings_text,
)


def encoded(fmt: str, *, size: tuple[int, int] = (64, 48), **save_args: int) -> bytes:
    rng = np.random.default_rng(0)
    pixels = (rng.random((size[1], size[0], 3)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, fmt, **save_args)
    return buffer.getvalue()


def varied(n: int, *, width: int | None = None, fmt: str = "JPEG", seed: int = 0) -> list:
    """n FileFacts with the same spread of properties for any seed-compatible call."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        w = int(width if width is not None else rng.integers(500, 1500))
        h = int(rng.integers(500, 1500))
        quality = int(rng.integers(70, 96)) if fmt == "JPEG" else None
        out.append(FileFacts(w, h, int(rng.integers(50_000, 500_000)), fmt, quality))
    return out


def by_feature(findings: list[ConfoundFinding]) -> dict[str, ConfoundFinding]:
    return {f.feature: f for f in findings}


@pytest.mark.parametrize("quality", [30, 75, 90, 95])
def test_jpeg_quality_of_pillow_files_is_recovered(quality: int) -> None:
    with Image.open(io.BytesIO(encoded("JPEG", quality=quality))) as image:
        assert estimate_jpeg_quality(image) == quality


def test_jpeg_quality_is_none_for_other_formats() -> None:
    with Image.open(io.BytesIO(encoded("PNG"))) as image:
        assert estimate_jpeg_quality(image) is None
    assert estimate_jpeg_quality(Image.new("RGB", (4, 4))) is None


def test_facts_from_image() -> None:
    data = encoded("JPEG", size=(80, 60), quality=85)
    with Image.open(io.BytesIO(data)) as image:  # opened, not loaded
        facts = facts_from_image(data, image)
    assert facts == FileFacts(80, 60, len(data), "JPEG", 85)
    png = encoded("PNG", size=(10, 20))
    with Image.open(io.BytesIO(png)) as image:
        assert facts_from_image(png, image) == FileFacts(10, 20, len(png), "PNG", None)
    json.dumps(facts.to_dict(), allow_nan=False)


def test_width_confound_warns() -> None:
    facts = varied(40, width=1024, seed=1) + varied(40, width=800, seed=2)
    y = [1] * 40 + [0] * 40
    findings = confound_report(facts, y)
    found = by_feature(findings)
    assert found["width"].auc == 1.0 and found["width"].warning
    assert "AI-generated" in found["width"].note  # higher width -> AI-generated
    assert [f.auc for f in findings] == sorted((f.auc for f in findings), reverse=True)
    lines = warnings_text(findings)
    assert (
        "image width alone separates the classes (AUC 1.00 > 0.90): both classes must go "
        "through the same normalisation and come from comparable sources; this evaluation may "
        "measure the dataset, not the detector"
    ) in lines
    assert len(lines) == sum(f.warning for f in findings)
    json.dumps([f.to_dict() for f in findings], allow_nan=False)


def test_balanced_set_does_not_warn() -> None:
    # Both classes have exactly the same file properties: every feature is uninformative.
    facts = varied(30, seed=3) + varied(30, seed=3)
    y = [1] * 30 + [0] * 30
    findings = confound_report(facts, y)
    assert len(findings) == 7
    assert {f.feature for f in findings} == {
        "width",
        "height",
        "pixels",
        "aspect",
        "file_size",
        "jpeg_quality",
        "format",
    }
    assert all(f.auc == pytest.approx(0.5) and not f.warning for f in findings)
    assert warnings_text(findings) == []


def test_constant_feature_scores_one_half() -> None:
    facts = [FileFacts(512, 512, 1000 + i, "PNG", None) for i in range(10)]
    found = by_feature(confound_report(facts, [0, 1] * 5))
    for feature in ("width", "height", "pixels", "aspect", "jpeg_quality", "format"):
        assert found[feature].auc == 0.5 and not found[feature].warning


def test_format_confound_is_detected() -> None:
    # Same dimensions and sizes; the AI images are mostly PNG and the real ones all JPEG.
    ai = varied(20, fmt="PNG", seed=4)[:18] + varied(2, fmt="JPEG", seed=5)
    real = varied(20, fmt="JPEG", seed=4)
    findings = confound_report(ai + real, [1] * 20 + [0] * 20)
    found = by_feature(findings)
    # Format score: PNG items 1.0, JPEG items 2/22; ranks 18 AI items above every real one and
    # ties the other 2 with the 20 real items: AUC = (18*20 + 2*20/2) / 400 = 0.95.
    assert found["format"].auc == pytest.approx(0.95)
    assert found["format"].warning
    assert "in-sample" in found["format"].note
    assert "PNG 100% AI-generated (n=18)" in found["format"].note
    assert any(line.startswith("file format alone separates") for line in warnings_text(findings))
    assert not found["width"].warning


def test_threshold_is_respected_and_validated() -> None:
    ai = varied(20, fmt="PNG", seed=4)[:18] + varied(2, fmt="JPEG", seed=5)
    real = varied(20, fmt="JPEG", seed=4)
    found = by_feature(confound_report(ai + real, [1] * 20 + [0] * 20, threshold=0.96))
    assert not found["format"].warning and found["format"].threshold == 0.96
    with pytest.raises(ValueError, match="threshold"):
        confound_report(ai + real, [1] * 20 + [0] * 20, threshold=0.3)


def test_confound_report_validates_labels() -> None:
    facts = varied(4)
    with pytest.raises(ValueError, match="both classes"):
        confound_report(facts, [1, 1, 1, 1])
    with pytest.raises(ValueError, match="one label per item"):
        confound_report(facts, [0, 1])
    with pytest.raises(ValueError, match="0 or 1"):
        confound_report(facts, [0, 1, 2, 1])
