"""Head files (JSON, no pickles) and the ``learned`` detector that scores with them."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.signals.learned.detector import LearnedDetector, build_backbone
from deepscreen.signals.learned.head import Calibration, Head, HeadInvalid, load_head, save_head
from deepscreen.signals.models.backbones import SpectralBackbone
from deepscreen.signals.testing import toy_head, write_tiny_onnx_embedding


def image_item(size: tuple[int, int] = (96, 96), seed: int = 0) -> MediaItem:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGB")
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return MediaItem(
        item_id=f"sha256:{seed}",
        kind=MediaKind.IMAGE,
        mime="image/png",
        width=size[0],
        height=size[1],
        data=buffer.getvalue(),
        pixels=image,
    )


def test_head_round_trips_through_json(tmp_path: Path) -> None:
    head = toy_head()
    save_head(head, tmp_path / "head.json")
    loaded = load_head(tmp_path / "head.json")
    assert loaded.digest == head.digest
    features = np.random.default_rng(1).random((5, head.dim))
    np.testing.assert_array_equal(loaded.predict_proba(features), head.predict_proba(features))
    assert not list(tmp_path.glob(".head.json.*"))  # no temp file left behind
    assert json.loads((tmp_path / "head.json").read_text())["format"] == "deepscreen.head/1"


def test_digest_changes_with_any_weight() -> None:
    assert toy_head(seed=0).digest != toy_head(seed=1).digest
    assert toy_head(seed=0).digest == toy_head(seed=0).digest


def test_isotonic_calibration_interpolates_and_clips() -> None:
    calibration = Calibration("isotonic", x=(-1.0, 0.0, 1.0), y=(0.1, 0.5, 0.8))
    np.testing.assert_allclose(
        calibration.apply(np.array([-5, -0.5, 0.5, 5])), [0.1, 0.3, 0.65, 0.8]
    )
    assert Calibration.from_dict(calibration.to_dict()) == calibration


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{", "cannot read head file"),
        ("[]", "holds a JSON object"),
        ('{"format": "other"}', "format is 'other'"),
        ('{"format": "deepscreen.head/1"}', "missing field"),
    ],
)
def test_invalid_head_files_are_refused_clearly(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "head.json"
    path.write_text(content)
    with pytest.raises(HeadInvalid, match=match):
        load_head(path)


def test_head_with_mismatched_vector_lengths_is_refused(tmp_path: Path) -> None:
    data = toy_head().to_dict()
    data["logistic"]["coef"] = data["logistic"]["coef"][:-1]
    (tmp_path / "head.json").write_text(json.dumps(data))
    with pytest.raises(HeadInvalid, match="one length"):
        load_head(tmp_path / "head.json")


def test_missing_head_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_head(tmp_path / "nope.json")


def test_learned_detector_version_names_the_head() -> None:
    detector = LearnedDetector(toy_head())
    detector.load()
    assert detector.version == f"1+{toy_head().digest[:12]}"
    other = LearnedDetector(toy_head(seed=5))
    other.load()
    assert other.version != detector.version


def test_learned_detector_scores_with_the_heads_probability_and_verdict() -> None:
    head = toy_head()
    detector = LearnedDetector(head)
    detector.load()
    item = image_item()
    result = detector.detect(item)
    features = SpectralBackbone(crop=32, bins=8).embed([head.normalisation.apply(item.pixels)])
    assert result.score == pytest.approx(float(head.predict_proba(features)[0]))
    assert result.evidence["verdict"] == head.thresholds.verdict(result.score)
    assert "statistical estimate" in result.evidence["summary"]


def test_learned_detector_abstains_on_what_it_cannot_normalise() -> None:
    detector = LearnedDetector(toy_head())
    detector.load()
    small = detector.detect(image_item((40, 200)))
    assert small.abstained and "under 48 px" in (small.abstain_reason or "")
    video = MediaItem("v", MediaKind.VIDEO, "video/mp4", 0, 0, b"\0")
    assert "video unreadable" in (detector.detect(video).abstain_reason or "")
    document = MediaItem("d", MediaKind.DOCUMENT, "application/pdf", 0, 0, b"%PDF-")
    assert "unsupported media kind" in (detector.detect(document).abstain_reason or "")
    no_pixels = MediaItem("x", MediaKind.IMAGE, "image/png", 10, 10, b"\0")
    assert detector.detect(no_pixels).abstain_reason == "no decoded pixels"


def test_learned_detector_without_a_head_uses_the_shipped_one(tmp_path: Path) -> None:
    detector = LearnedDetector(models_dir=tmp_path)  # an empty model cache
    detector.load()
    assert detector.head is not None and detector.head.training["id"] == "ai-image-clip-v1"


def test_build_backbone_refuses_another_backbone(tmp_path: Path) -> None:
    data = toy_head().to_dict()
    data["backbone"]["fingerprint"] = "sha256:" + "1" * 64
    with pytest.raises(ConfigError, match="backbone mismatch"):
        build_backbone(Head.from_dict(data))
    data = toy_head().to_dict()
    data["backbone"]["config"]["version"] = "0"
    with pytest.raises(ConfigError, match="retrain"):
        build_backbone(Head.from_dict(data))
    data["backbone"]["kind"] = "mystery"
    with pytest.raises(ConfigError, match="unknown backbone kind"):
        build_backbone(Head.from_dict(data))


def test_onnx_head_finds_its_model_and_checks_it(tmp_path: Path) -> None:
    from deepscreen.signals.models.onnx_backbone import OnnxBackbone, OnnxModelSpec

    write_tiny_onnx_embedding(tmp_path / "m.onnx", input_size=32, dim=8)
    (tmp_path / "m.toml").write_text('model = "m.onnx"\n[preprocessing]\ninput_size = 32\n')
    backbone = OnnxBackbone(OnnxModelSpec.from_toml(tmp_path / "m.toml"))
    base = toy_head().to_dict()
    base["backbone"] = {
        "kind": "onnx",
        "config": backbone.config(),
        "fingerprint": backbone.fingerprint,
    }
    base["standardise"] = {"mean": [0.0] * 8, "scale": [1.0] * 8}
    base["logistic"]["coef"] = [0.1] * 8
    head = Head.from_dict(base)
    with pytest.raises(ConfigError, match=r"set \[learned\] model"):
        build_backbone(head)
    assert build_backbone(head, model_config=tmp_path / "m.toml").dim == 8
    base["training"]["model_config"] = str(tmp_path / "m.toml")
    detector = LearnedDetector(Head.from_dict(base))
    detector.load()
    assert 0.0 <= (detector.detect(image_item()).score or 0.0) <= 1.0
    write_tiny_onnx_embedding(tmp_path / "m.onnx", input_size=32, dim=8, seed=3)  # swapped
    with pytest.raises(ConfigError, match="backbone mismatch"):
        build_backbone(head, model_config=tmp_path / "m.toml")
