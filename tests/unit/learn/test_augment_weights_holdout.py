"""Training-side pieces of the default head: upload damage, sample weights, held-out families."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from deepscreen.learn.augment import Augmentation
from deepscreen.learn.holdout import fits_needed, leave_one_family_out, real_folds
from deepscreen.learn.weights import sample_weights


def photo(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (300, 400, 3), dtype=np.uint8))


def test_augmented_views_depend_on_the_file_and_seed_only() -> None:
    image, data = photo(1), b"file one"
    first = Augmentation(copies=2).views(image, data)
    again = Augmentation(copies=2).views(photo(1), data)
    assert len(first) == 2
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    other = Augmentation(copies=1).views(image, b"file two")[0]
    reseeded = Augmentation(copies=1, seed=5).views(image, data)[0]
    assert other.size != first[0].size or not np.array_equal(np.asarray(other), first[0])
    assert reseeded.size != first[0].size or not np.array_equal(np.asarray(reseeded), first[0])


def test_augmented_views_stay_within_the_damage_bounds() -> None:
    for seed in range(20):
        (view,) = Augmentation(copies=1, min_scale=0.5, min_crop=0.8).views(photo(0), bytes([seed]))
        width, height = view.size
        assert 400 * 0.5 * 0.8 - 1 <= width <= 400 and 300 * 0.5 * 0.8 - 1 <= height <= 300
        assert view.mode == "RGB"


def test_augmentation_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="quality range"):
        Augmentation(quality=(95, 50))
    with pytest.raises(ValueError, match="copies"):
        Augmentation(copies=9)


def test_source_weights_give_each_class_half_and_each_source_an_equal_share() -> None:
    labels = np.array([1] * 9 + [1] + [0] * 4)
    groups = ["sd15"] * 9 + ["flux"] + ["cam"] * 4
    weights = sample_weights(labels, groups, "source")
    assert weights.mean() == pytest.approx(1.0)
    assert weights[labels == 1].sum() == pytest.approx(weights[labels == 0].sum())
    assert weights[:9].sum() == pytest.approx(weights[9])  # 9 sd15 images weigh as 1 flux image
    classes = sample_weights(labels, groups, "class")
    assert classes[labels == 1].sum() == pytest.approx(classes[labels == 0].sum())
    assert np.all(sample_weights(labels, groups, "none") == 1.0)
    with pytest.raises(ValueError, match="unknown weighting"):
        sample_weights(labels, groups, "magic")  # type: ignore[arg-type]


def test_real_folds_hold_out_whole_sources() -> None:
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    folds = real_folds(groups, folds=5, seed=0)
    assert sorted(np.concatenate(folds).tolist()) == list(range(6))
    for fold in folds:
        inside = set(groups[fold])
        assert not inside & set(np.delete(groups, fold))


def test_a_held_out_family_and_its_real_fold_never_reach_the_fit() -> None:
    labels = np.array([1, 1, 1, 1, 0, 0, 0, 0])
    groups = ["sd", "sd", "flux", "flux", "cam_a", "cam_a", "cam_b", "cam_b"]
    calls: list[tuple[list[int], list[int]]] = []

    def score(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        assert not set(train.tolist()) & set(test.tolist())
        calls.append((train.tolist(), test.tolist()))
        return np.where(labels[test] == 1, 0.9, 0.1)  # a perfect detector

    rows = leave_one_family_out(labels, groups, score, threshold=0.5, n_boot=200)
    assert [r.family for r in rows] == ["flux", "sd"]
    assert len(calls) == fits_needed(labels, groups, folds=5) == 4
    for train, test in calls:
        held = {groups[i] for i in test if labels[i] == 1}
        assert not held & {groups[i] for i in train}
    assert all(r.auc.value == 1.0 and r.recall_at_threshold.value == 1.0 for r in rows)
    assert rows[0].ai_images == 2 and rows[0].real_images == 4


def test_leave_one_family_out_needs_two_families() -> None:
    with pytest.raises(ValueError, match="at least two AI families"):
        leave_one_family_out(np.array([1, 0]), ["a", "b"], lambda tr, te: te * 0.0, threshold=0.5)


def test_groups_merge_sources_and_must_cover_every_source(tmp_path) -> None:
    from pathlib import Path

    from deepscreen.learn.dataset import (
        DatasetInvalid,
        LabelledItem,
        LabelledSet,
        read_groups,
        regroup,
    )

    groups = tmp_path / "groups.csv"
    groups.write_text("source,group\nsd15,sd\nsd2x,sd\ncam,cam\n")
    items = tuple(LabelledItem(Path(f"{s}.jpg"), 1, s) for s in ("sd15", "sd2x", "cam"))
    merged = regroup(LabelledSet(items, "pool"), read_groups(groups))
    assert merged.sources == ["sd", "sd", "cam"]
    with pytest.raises(DatasetInvalid, match="does not list source"):
        regroup(LabelledSet((*items, LabelledItem(Path("x.jpg"), 0, "flux")), "p"), {"sd15": "sd"})
    (tmp_path / "twice.csv").write_text("source,group\na,b\na,c\n")
    with pytest.raises(DatasetInvalid, match="listed twice"):
        read_groups(tmp_path / "twice.csv")
    (tmp_path / "bad.csv").write_text("name,family\na,b\n")
    with pytest.raises(DatasetInvalid, match="header source,group"):
        read_groups(tmp_path / "bad.csv")
