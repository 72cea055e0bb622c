"""The faces detector on real pictures (scikit-image's astronaut) and on video frames made from
it: face evidence, abstention without a face head, scoring with one, a missing model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from deepscreen.core.errors import ConfigError
from deepscreen.core.media import MediaItem
from deepscreen.media import load_media
from deepscreen.signals.examples import encoded_image_item, video_item
from deepscreen.signals.faces.detector import FacesDetector, load_face_finder
from deepscreen.signals.learned.detector import LearnedDetector
from deepscreen.signals.learned.face_crop import FaceCrop
from deepscreen.signals.learned.head import HeadInvalid
from deepscreen.signals.testing import toy_face_head, toy_head

ASTRONAUT_FACE = (172.0, 67.0, 277.0, 172.0)  # measured once; checked within 12 px below


def astronaut() -> Image.Image:
    return Image.fromarray(data.astronaut())


def png(image: Image.Image) -> MediaItem:
    return encoded_image_item(np.asarray(image), "PNG")


def assert_astronaut_face(box: list[float]) -> None:
    assert box == pytest.approx(list(ASTRONAUT_FACE), abs=12)


def test_the_finder_finds_the_astronauts_face_and_none_in_a_cup_of_coffee(
    face_models_dir: Path,
) -> None:
    finder = load_face_finder(face_models_dir)
    faces = finder.find(astronaut())
    assert len(faces) == 1 and faces[0].confidence > 0.8
    assert_astronaut_face(list(faces[0].box))
    assert finder.find(Image.fromarray(data.coffee())) == []
    assert finder.find(Image.fromarray(data.chelsea())) == []  # a cat is not a face


def test_boxes_are_in_the_pixels_of_the_image_whatever_its_shape(face_models_dir: Path) -> None:
    finder = load_face_finder(face_models_dir)
    wide = Image.new("RGB", (1024, 512))
    wide.paste(astronaut(), (300, 0))
    (face,) = finder.find(wide)
    left, top, right, bottom = ASTRONAUT_FACE
    assert list(face.box) == pytest.approx([left + 300, top, right + 300, bottom], abs=12)


def test_without_a_face_head_faces_are_reported_and_the_detector_abstains(
    face_models_dir: Path,
) -> None:
    detector = FacesDetector(models_dir=face_models_dir)
    detector.load()
    result = detector.detect(png(astronaut()))
    assert result.abstained
    assert "no face head configured (1 face(s) found)" in (result.abstain_reason or "")
    assert result.evidence["count"] == 1
    (face,) = result.evidence["faces"]
    assert_astronaut_face(face["box"]) and face["confidence"] > 0.8
    assert "score" not in face


def test_video_frames_get_face_evidence_with_their_times(face_models_dir: Path) -> None:
    detector = FacesDetector(models_dir=face_models_dir, max_video_frames=3, video_every_s=1.0)
    detector.load()
    clip = video_item(astronaut().resize((256, 256)), frames=8, fps=2)  # 4 s, one frame a second
    result = detector.detect(load_media(clip.data, source="astronaut.mp4"))
    assert result.abstained and result.evidence["frames_sampled"] == 3
    assert [f["t"] for f in result.evidence["faces"]] == [0.0, 1.0, 2.0]
    for face in result.evidence["faces"]:
        assert_astronaut_face([v * 2 for v in face["box"]])  # the frame is half size


def test_a_face_head_scores_every_face_and_the_item_takes_the_highest(
    face_models_dir: Path,
) -> None:
    detector = FacesDetector(toy_face_head(), models_dir=face_models_dir)
    detector.load()
    two = Image.new("RGB", (1024, 512))
    two.paste(astronaut(), (0, 0))
    two.paste(astronaut().transpose(Image.Transpose.FLIP_LEFT_RIGHT), (512, 0))
    result = detector.detect(png(two))
    assert not result.abstained
    faces = result.evidence["faces"]
    assert len(faces) == 2 and result.evidence["aggregate"] == "highest of 2 face score(s)"
    assert result.score == pytest.approx(max(f["score"] for f in faces), abs=1e-6)
    assert result.evidence["statistical_estimate"] is True
    assert result.version.startswith("1+") and result.evidence["verdict"] in (
        "likely_ai",
        "inconclusive",
        "likely_real",
    )
    nobody = detector.detect(png(Image.fromarray(data.coffee())))
    assert nobody.abstained and nobody.abstain_reason == "no face found"


def test_a_video_face_score_is_the_top_k_mean_of_frame_scores(face_models_dir: Path) -> None:
    detector = FacesDetector(
        toy_face_head(),
        models_dir=face_models_dir,
        max_video_frames=4,
        video_every_s=1.0,
        video_top_k=2,
    )
    detector.load()
    clip = video_item(astronaut().resize((256, 256)), frames=8, fps=2)
    result = detector.detect(load_media(clip.data, source="astronaut.mp4"))
    assert not result.abstained
    scores = [(f["t"], f["score"]) for f in result.evidence["faces"]]
    assert len(scores) == 4
    top = sorted(scores, key=lambda ts: (-ts[1], ts[0]))[:2]
    assert result.score == pytest.approx(sum(s for _, s in top) / 2, abs=1e-5)
    assert result.evidence["driving_frames_t"] == sorted(t for t, _ in top)


def test_a_missing_face_model_abstains_with_the_command_that_fixes_it(tmp_path: Path) -> None:
    detector = FacesDetector(models_dir=tmp_path)
    detector.load()
    assert detector.missing and "deepscreen models fetch blazeface-full-range" in detector.missing
    result = detector.detect(png(astronaut()))
    assert result.abstained and result.abstain_reason == detector.missing


def test_a_face_model_file_that_is_not_the_pinned_one_is_refused(
    face_models_dir: Path, tmp_path: Path
) -> None:
    shutil.copytree(face_models_dir / "blazeface-full-range", tmp_path / "blazeface-full-range")
    (model,) = (tmp_path / "blazeface-full-range").glob("*.tflite")
    raw = bytearray(model.read_bytes())
    raw[-1] ^= 0xFF
    model.write_bytes(bytes(raw))
    with pytest.raises(ConfigError, match="not the pinned"):
        FacesDetector(models_dir=tmp_path).load()


def test_face_heads_and_image_heads_are_not_interchangeable(tmp_path: Path) -> None:
    with pytest.raises(HeadInvalid, match="face head"):
        LearnedDetector(toy_face_head(), models_dir=tmp_path).load()
    with pytest.raises(HeadInvalid, match="--crop faces"):
        FacesDetector(toy_head(), models_dir=tmp_path).load()


def test_a_face_head_round_trips_through_json_with_its_crop() -> None:
    from deepscreen.signals.learned.head import Head

    head = toy_face_head()
    again = Head.from_dict(head.to_dict())
    assert again.faces == FaceCrop() and again.digest == head.digest
    assert "faces" not in toy_head().to_dict()  # image heads keep their digest


def test_the_face_finder_cannot_be_used_as_a_backbone(tmp_path: Path) -> None:
    from deepscreen.signals.learned.detector import catalogue_model_config

    with pytest.raises(ConfigError, match="not an image encoder.*clip-vit-b16"):
        catalogue_model_config("blazeface-full-range", tmp_path)
