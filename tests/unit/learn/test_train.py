"""Head fitting, its exact export, cross-validation plans and the stacked ensemble."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from deepscreen.learn.stack import fit_stack
from deepscreen.learn.train import (
    TrainConfig,
    TrainingFailed,
    fit_head,
    head_thresholds,
    out_of_fold,
    plan_cv,
    thresholds_for,
)
from deepscreen.signals.ensemble import StackModel
from deepscreen.signals.learned.head import Calibration, Head
from deepscreen.signals.learned.normalise import Normalisation


def blobs(n: int = 60, dim: int = 6, shift: float = 1.5, seed: int = 0):
    rng = np.random.default_rng(seed)
    labels = np.array([1, 0] * (n // 2))
    features = rng.normal(0, 1, (n, dim)) + shift * labels[:, None] * rng.random(dim)
    return features, labels


@pytest.mark.parametrize("method", ["sigmoid", "isotonic"])
def test_exported_head_reproduces_scikit_learn_exactly(method: str) -> None:
    features, labels = blobs()
    fitted = fit_head(features, labels, TrainConfig(calibration=method), "spectral")  # type: ignore[arg-type]
    assert fitted.calibration.method == method
    head = Head(
        backbone_kind="spectral",
        backbone_config={},
        backbone_fingerprint="x",
        normalisation=Normalisation(),
        mean=fitted.mean,
        scale=fitted.scale,
        coef=fitted.coef,
        intercept=fitted.intercept,
        calibration=fitted.calibration,
        thresholds=head_thresholds(
            thresholds_for(labels, fitted.sklearn_proba(features), TrainConfig())
        ),
    )
    fresh = np.random.default_rng(9).normal(0, 1.5, (40, 6))
    np.testing.assert_allclose(head.predict_proba(fresh), fitted.sklearn_proba(fresh), atol=1e-9)
    round_trip = Head.from_dict(head.to_dict())
    np.testing.assert_array_equal(round_trip.predict_proba(fresh), head.predict_proba(fresh))


def test_default_regularisation_depends_on_the_backbone() -> None:
    features, labels = blobs()
    spectral = fit_head(features, labels, TrainConfig(), "spectral")
    onnx = fit_head(features, labels, TrainConfig(), "onnx")
    assert spectral.C == 0.1 and onnx.C == 1.0
    assert fit_head(features, labels, TrainConfig(C=3.0), "onnx").C == 3.0


def test_plan_groups_by_source_when_each_class_has_two_sources() -> None:
    labels = np.array([1] * 6 + [0] * 6)
    sources = ["g1", "g1", "g2", "g2", "g3", "g3", "c1", "c1", "c2", "c2", "", ""]
    plan = plan_cv(labels, sources, folds=5, seed=0)
    assert isinstance(plan.splitter, StratifiedGroupKFold)
    assert plan.splitter.get_n_splits() == 3  # capped: real has c1, c2 and two singletons = 4
    assert plan.groups is not None
    for train, test in plan.splitter.split(np.zeros((12, 1)), labels, plan.groups):
        assert not set(plan.groups[train]) & set(plan.groups[test])  # sources never straddle


def test_plan_falls_back_to_stratified_with_a_warning_when_grouping_is_impossible() -> None:
    labels = np.array([1] * 6 + [0] * 6)
    sources = ["g1"] * 6 + ["c1"] * 6
    plan = plan_cv(labels, sources, folds=5, seed=0)
    assert isinstance(plan.splitter, StratifiedKFold) and plan.groups is None
    assert plan.warnings and "grouped cross-validation impossible" in plan.warnings[0]


def test_plan_without_sources_is_stratified_and_says_so() -> None:
    plan = plan_cv(np.array([1, 0] * 10), [""] * 20, folds=5, seed=0)
    assert isinstance(plan.splitter, StratifiedKFold)
    assert "in-distribution" in plan.description


def test_plan_refuses_too_few_items() -> None:
    with pytest.raises(TrainingFailed, match="at least 2"):
        plan_cv(np.array([1, 0, 0]), ["", "", ""], folds=5, seed=0)
    with pytest.raises(TrainingFailed, match="2 folds"):
        plan_cv(np.array([1, 0] * 5), [""] * 10, folds=1, seed=0)


def test_out_of_fold_scores_never_see_their_own_label() -> None:
    """With pure-noise features, out-of-fold AUC must hover near 0.5 (training-set scores of a
    flexible model would not)."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    features, labels = rng.normal(0, 1, (200, 50)), np.array([1, 0] * 100)
    plan = plan_cv(labels, [""] * 200, folds=5, seed=0)
    oof = out_of_fold(features, labels, plan, TrainConfig(C=10.0), "onnx")
    assert oof.shape == (200,) and 0.35 < roc_auc_score(labels, oof) < 0.65


def test_thresholds_follow_the_targets() -> None:
    features, labels = blobs(n=200, shift=3.0)
    plan = plan_cv(labels, [""] * 200, folds=5, seed=0)
    oof = out_of_fold(features, labels, plan, TrainConfig(), "spectral")
    chosen = thresholds_for(labels, oof, TrainConfig(target_fpr=0.05, target_fnr=0.05))
    assert np.mean(oof[labels == 0] >= chosen.likely_ai) <= 0.05
    assert np.mean(oof[labels == 1] < chosen.likely_real) <= 0.05
    assert chosen.likely_real <= chosen.likely_ai
    converted = head_thresholds(chosen)
    assert converted.verdict(1.0) == "likely_ai" and converted.verdict(0.0) == "likely_real"


def test_stack_export_matches_and_learns_which_detector_to_trust() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([1, 0] * 60)
    rows: list[dict[str, float | None]] = []
    for label in labels:
        good = float(np.clip(0.5 + (0.35 if label else -0.35) + rng.normal(0, 0.1), 0, 1))
        noisy = float(rng.random())
        rows.append({"learned": good, "vendor": noisy if rng.random() > 0.3 else None})
    plan = plan_cv(labels, [""] * len(labels), folds=5, seed=0)
    stack, oof = fit_stack(rows, labels, ["learned", "vendor"], plan)
    assert isinstance(stack, StackModel) and oof.shape == labels.shape
    assert abs(stack.coef_score[0]) > 3 * abs(stack.coef_score[1])
    assert StackModel.from_dict(stack.to_dict()) == stack
    with pytest.raises(TrainingFailed, match="none of"):
        fit_stack([{"learned": None}] * 120, labels, ["learned"], plan)


def test_calibration_export_of_unknown_kind_is_isotonic_shape() -> None:
    assert Calibration("sigmoid", a=-2.0, b=0.5).apply(np.array([0.0]))[0] == pytest.approx(
        1 / (1 + np.exp(0.5))
    )
