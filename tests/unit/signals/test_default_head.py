"""The shipped AI-image head: loads, is pinned by digest, abstains (saying how to fix it) when
its CLIP encoder is not installed, and records what reproduces it and how it was evaluated."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from deepscreen.core.errors import ConfigError
from deepscreen.signals.examples import encoded_image_item
from deepscreen.signals.learned import detector as learned
from deepscreen.signals.learned.detector import (
    DEFAULT_HEAD_DIGEST,
    LearnedDetector,
    ModelMissing,
    build_backbone,
    default_head_path,
)
from deepscreen.signals.learned.head import load_head

REPO = Path(__file__).resolve().parents[3]


def test_the_shipped_head_is_the_pinned_one() -> None:
    head = load_head(default_head_path())
    assert head.digest == DEFAULT_HEAD_DIGEST
    assert head.backbone_kind == "onnx" and head.views.name == "global+corners"
    assert head.dim == 1024 and head.training["model"] == "clip-vit-b16"
    assert 0.0 < head.thresholds.likely_real <= head.thresholds.likely_ai < 1.0
    assert head.thresholds.target_fpr == 0.01
    # What reproduces it, and nothing that depends on where or when it was trained.
    assert len(head.training["dataset_sha256"]) == 64
    assert "trained_at" not in head.training and "model_config" not in head.training
    assert head.training["weights"] == "source" and head.training["augmentation"]["copies"] == 1


def test_the_shipped_head_reports_every_held_out_family() -> None:
    head = load_head(default_head_path())
    with (REPO / "scripts" / "default-head-groups.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    real = {"android_woof", "digicam_corpus", "kodak", "metadata_extractor", "skimage"}
    families = {r["group"] for r in rows if r["source"] not in real}
    table = head.training["leave_one_family_out"]
    assert {row["family"] for row in table} == families
    for row in table:
        for key in ("auc", "tpr_at_1pct_fpr", "recall_at_threshold"):
            estimate = row[key]
            assert estimate["low"] <= estimate["value"] <= estimate["high"]
        assert row["threshold"] == head.thresholds.likely_ai


def test_a_modified_shipped_head_is_refused(tmp_path: Path, monkeypatch) -> None:
    data = json.loads(default_head_path().read_text())
    data["logistic"]["intercept"] += 1.0
    (tmp_path / "head.json").write_text(json.dumps(data))
    monkeypatch.setattr(learned, "default_head_path", lambda: tmp_path / "head.json")
    with pytest.raises(ConfigError, match="pinned"):
        LearnedDetector(models_dir=tmp_path).load()


def test_without_the_encoder_it_abstains_and_says_which_command_fixes_it(tmp_path: Path) -> None:
    detector = LearnedDetector(models_dir=tmp_path)
    detector.load()
    assert detector.missing and "deepscreen models fetch clip-vit-b16" in detector.missing
    rng = np.random.default_rng(0)
    result = detector.detect(encoded_image_item(rng.integers(0, 255, (96, 96, 3), np.uint8), "PNG"))
    assert result.abstained and "deepscreen models fetch clip-vit-b16" in (
        result.abstain_reason or ""
    )
    with pytest.raises(ModelMissing):
        build_backbone(load_head(default_head_path()), models_dir=tmp_path)


def test_the_attribution_of_the_training_data_ships_beside_the_head() -> None:
    text = (default_head_path().parent / "ATTRIBUTION.md").read_text()
    for credit in (
        "SupaGruen",
        "EnragedAntelope",
        "Jamez Bondos",
        "CC BY 4.0",
        "PicoTrex",
        "ComfyUI_examples",
        "Drew Noakes",
        "CC0",
        "Kodak",
        "scikit-image",
    ):
        assert credit in text


def test_the_shipped_head_is_package_data(tmp_path: Path) -> None:
    pyproject = (REPO / "pyproject.toml").read_text()
    assert '"signals/learned/heads/*.json"' in pyproject
    assert '"signals/learned/heads/*.md"' in pyproject
    shutil.copy(default_head_path(), tmp_path / "copy.json")
    assert load_head(tmp_path / "copy.json").digest == DEFAULT_HEAD_DIGEST


def test_the_shipped_policy_reviews_at_the_heads_likely_ai_threshold() -> None:
    import yaml

    from deepscreen.bootstrap import default_policy_dir

    policy = yaml.safe_load((default_policy_dir() / "policy.yaml").read_text())
    threshold = policy["params"]["pixel_ai_review_score"]["value"]
    assert threshold == load_head(default_head_path()).thresholds.likely_ai
