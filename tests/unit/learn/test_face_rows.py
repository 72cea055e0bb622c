"""Face-crop mode: one row per face, an image's faces always in one fold, metrics per image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter
from skimage import data

from deepscreen.learn.dataset import load_labelled
from deepscreen.learn.features import FaceRows, highest_per_image
from deepscreen.learn.train import TrainConfig, plan_cv
from deepscreen.service.learn import evaluate_head, train_head
from deepscreen.signals.faces.detector import load_face_finder
from deepscreen.signals.learned.face_crop import FaceCrop
from deepscreen.signals.learned.normalise import Normalisation
from deepscreen.signals.models.backbones import SpectralBackbone
from deepscreen.signals.models.blazeface import Face


def test_highest_per_image_keeps_first_seen_order_and_the_maximum() -> None:
    rows, scores = highest_per_image(["a", "a", "b", "c", "c"], np.array([0.2, 0.7, 0.4, 0.9, 0.1]))
    assert rows.tolist() == [0, 2, 3]
    assert scores.tolist() == [0.7, 0.4, 0.9]


def test_rows_of_one_image_are_never_split_between_folds() -> None:
    images = [f"img{i // 3}" for i in range(36)]  # 12 images, 3 faces each
    labels = np.array([1 if i // 3 < 6 else 0 for i in range(36)])
    plan = plan_cv(labels, [""] * 36, folds=3, seed=0, images=images)
    assert "grouped by image" in plan.description
    for train, test in plan.splitter.split(np.zeros((36, 1)), labels, plan.groups):
        assert not {images[i] for i in train} & {images[i] for i in test}


def two_faced(image: Image.Image) -> list[Face]:
    """A stand-in finder: the left and right halves' centres are 'faces'."""
    w, h = image.size
    return [
        Face((w * 0.1, h * 0.2, w * 0.4, h * 0.8), 0.9),
        Face((w * 0.6, h * 0.2, w * 0.9, h * 0.8), 0.8),
    ]


def tiny_set(root: Path) -> Path:
    rng = np.random.default_rng(1)
    for label in ("ai", "real"):
        (root / label).mkdir(parents=True)
    for i in range(6):
        noise = rng.integers(0, 256, (300, 400, 3), np.uint8)
        Image.fromarray(noise).filter(ImageFilter.GaussianBlur(3)).save(root / "ai" / f"{i}.png")
        Image.fromarray(noise).save(root / "real" / f"{i}.png")
    return root


def test_face_crop_training_fits_on_faces_and_reports_per_image(tmp_path: Path) -> None:
    dataset = load_labelled(tiny_set(tmp_path / "set"))
    backbone = SpectralBackbone(crop=64, bins=16)
    run = train_head(
        dataset,
        backbone,
        normalisation=Normalisation(side=96, min_side=32, jpeg_quality=None),
        config=TrainConfig(folds=3),
        n_boot=50,
        faces=FaceRows(two_faced, FaceCrop(margin=0.1)),
    )
    assert run.head is not None and run.head.faces == FaceCrop(margin=0.1)
    assert len(run.table.labels) == 24  # two faces per image
    assert run.table.images.counts() == {"ai": 6, "real": 6}
    assert run.head.training["counts"] == {"ai": 6, "real": 6}
    assert run.head.training["faces"] == 24
    assert run.evaluation.n == 12  # metrics per image, on its highest face
    assert "grouped by image" in run.cv.description
    evaluated = evaluate_head(dataset, run.head, backbone, n_boot=50, find_faces=two_faced)
    assert evaluated.scores.shape == (12,) and evaluated.to_dict()["faces"] == 24


def test_face_crop_mode_refuses_augmentation_and_images_without_faces(tmp_path: Path) -> None:
    from deepscreen.core.errors import ConfigError
    from deepscreen.learn.augment import Augmentation

    dataset = load_labelled(tiny_set(tmp_path / "set"))
    kwargs = dict(normalisation=Normalisation(side=96, min_side=32), config=TrainConfig(folds=3))
    with pytest.raises(ConfigError, match="face-crop"):
        train_head(
            dataset,
            SpectralBackbone(crop=64, bins=16),
            augmentation=Augmentation(copies=1),
            faces=FaceRows(two_faced, FaceCrop()),
            **kwargs,  # type: ignore[arg-type]
        )
    from deepscreen.learn.features import extract

    table = extract(
        dataset,
        SpectralBackbone(crop=64, bins=16),
        Normalisation(side=96, min_side=32),
        faces=FaceRows(lambda image: [], FaceCrop()),
    )
    assert len(table.labels) == 0
    assert {reason for _, reason in table.failures} == {"no face found"}


def test_face_crop_training_with_the_real_finder(face_models_dir: Path, tmp_path: Path) -> None:
    """Astronauts, blurred (``ai``) or noisy (``real``): each image's one face becomes a row."""
    root = tmp_path / "faces"
    for label in ("ai", "real"):
        (root / label).mkdir(parents=True)
    rng = np.random.default_rng(0)
    base = Image.fromarray(data.astronaut())
    for i in range(4):
        image = base.resize((400 + 40 * i,) * 2)
        image.filter(ImageFilter.GaussianBlur(2)).save(root / "ai" / f"{i}.png")
        noisy = np.asarray(image).astype(np.int16) + rng.integers(-20, 21, (*image.size, 3))
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(root / "real" / f"{i}.png")
    finder = load_face_finder(face_models_dir)
    run = train_head(
        load_labelled(root),
        SpectralBackbone(crop=64, bins=16),
        normalisation=Normalisation(side=128, min_side=32),
        config=TrainConfig(folds=2),
        n_boot=50,
        faces=FaceRows(finder.find, FaceCrop()),
    )
    assert run.table.failures == () and len(run.table.labels) == 8
    assert run.head is not None and run.head.faces == FaceCrop()
