"""Fit a calibrated logistic-regression head and estimate how it does on unseen data.

- The head: ``StandardScaler`` → ``LogisticRegression`` inside scikit-learn's
  ``CalibratedClassifierCV(ensemble=False)``: the classifier is fitted on all the data, the
  calibrator (Platt's sigmoid or isotonic) on its cross-validated predictions. It is exported
  to plain arrays (``signals.head.Head``) and checked to reproduce scikit-learn's probabilities.
- The estimate: out-of-fold probabilities of that whole procedure, from folds grouped by
  source when sources are given (every image of a generator or camera is held out together,
  which estimates off-distribution behaviour) and stratified otherwise. Thresholds for "likely
  AI" and "likely real" are chosen on these out-of-fold scores, never on training scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    BaseCrossValidator,
    StratifiedGroupKFold,
    StratifiedKFold,
    cross_val_predict,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from deepscreen.core.errors import ConfigError, InvalidInput
from deepscreen.learn.metrics import Thresholds, choose_thresholds
from deepscreen.signals.head import Calibration, HeadThresholds

DEFAULT_C = {"spectral": 0.1, "onnx": 1.0}


class TrainingFailed(InvalidInput):
    """The data cannot support the requested training (too few items per class or fold)."""


@dataclass(frozen=True)
class TrainConfig:
    calibration: Literal["sigmoid", "isotonic"] = "sigmoid"
    C: float | None = None  # default: DEFAULT_C by backbone kind
    folds: int = 5
    target_fpr: float = 0.01
    target_fnr: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        for name in ("target_fpr", "target_fnr"):
            value = getattr(self, name)
            if not 0 < value <= 0.5:
                problems.append(f"{name} must be in (0, 0.5], got {value}")
        if self.C is not None and not self.C > 0:
            problems.append(f"C must be positive, got {self.C}")
        if self.calibration not in ("sigmoid", "isotonic"):
            problems.append(f"calibration {self.calibration!r} is not sigmoid or isotonic")
        if self.folds < 2:
            problems.append(f"cross-validation needs at least 2 folds, got {self.folds}")
        if problems:
            raise ConfigError("; ".join(problems))


@dataclass(frozen=True)
class CvPlan:
    """How out-of-fold scores were produced: the splitter, its groups and a description."""

    splitter: BaseCrossValidator
    groups: np.ndarray | None
    description: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FittedHead:
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    calibration: Calibration
    model: CalibratedClassifierCV = field(repr=False)


def plan_cv(labels: np.ndarray, sources: list[str], folds: int, seed: int) -> CvPlan:
    """Grouped folds by source when at least two sources per class exist, else stratified.

    Items without a source are their own group. The number of folds is capped by the smaller
    class's count of groups, so every training fold keeps both classes.
    """
    if folds < 2:
        raise TrainingFailed(f"cross-validation needs at least 2 folds, got {folds}")
    minority = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    if minority < 2:
        raise TrainingFailed("each class needs at least 2 images for cross-validation")
    named = {s for s in sources if s}
    if named:
        groups = np.array([s if s else f"\0item{i}" for i, s in enumerate(sources)])
        per_class = [len(set(groups[labels == c])) for c in (0, 1)]
        k = min(folds, *per_class)
        if k >= 2:
            return CvPlan(
                StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed),
                groups,
                f"{k}-fold grouped by source ({len(named)} sources; every image of a source "
                "is held out together)",
            )
        warning = (
            f"sources given, but a class has only {min(per_class)} source group(s): grouped "
            "cross-validation impossible, fell back to stratified folds (in-distribution "
            "estimate: expect worse on unseen generators)"
        )
        return CvPlan(
            StratifiedKFold(n_splits=min(folds, minority), shuffle=True, random_state=seed),
            None,
            f"{min(folds, minority)}-fold stratified",
            (warning,),
        )
    k = min(folds, minority)
    return CvPlan(
        StratifiedKFold(n_splits=k, shuffle=True, random_state=seed),
        None,
        f"{k}-fold stratified (no sources given: an in-distribution estimate)",
    )


def make_estimator(config: TrainConfig, backbone_kind: str, n_train: int) -> CalibratedClassifierCV:
    c = config.C if config.C is not None else DEFAULT_C.get(backbone_kind, 1.0)
    base = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
    inner = StratifiedKFold(
        n_splits=max(2, min(5, n_train)), shuffle=True, random_state=config.seed
    )
    return CalibratedClassifierCV(base, method=config.calibration, cv=inner, ensemble=False)


def fit_head(
    features: np.ndarray, labels: np.ndarray, config: TrainConfig, backbone_kind: str
) -> FittedHead:
    """Fit on everything and export the fitted model to plain arrays."""
    minority = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    model = make_estimator(config, backbone_kind, minority)
    model.fit(features, labels)
    fitted = _export(model)
    expected = model.predict_proba(features)[:, 1]
    got = _apply(fitted, features)
    if not np.allclose(expected, got, atol=1e-6):  # the export must be exact
        raise AssertionError(
            f"head export differs from scikit-learn by {np.abs(expected - got).max()}"
        )
    return fitted


def out_of_fold(
    features: np.ndarray, labels: np.ndarray, plan: CvPlan, config: TrainConfig, kind: str
) -> np.ndarray:
    """Out-of-fold calibrated probabilities of the whole fit procedure."""
    for train, _ in plan.splitter.split(features, labels, plan.groups):
        if len(set(labels[train].tolist())) < 2:
            raise TrainingFailed(
                "a cross-validation training fold holds one class only; add sources or images"
            )
    minority = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    inner_n = max(2, minority - int(np.ceil(minority / plan.splitter.get_n_splits())))
    estimator = make_estimator(config, kind, inner_n)
    scores = cross_val_predict(
        estimator, features, labels, groups=plan.groups, cv=plan.splitter, method="predict_proba"
    )
    return np.asarray(scores[:, 1])


def thresholds_for(labels: np.ndarray, oof: np.ndarray, config: TrainConfig) -> Thresholds:
    return choose_thresholds(
        labels, oof, target_fpr=config.target_fpr, target_fnr=config.target_fnr
    )


def head_thresholds(chosen: Thresholds) -> HeadThresholds:
    return HeadThresholds(
        likely_ai=chosen.likely_ai,
        likely_real=chosen.likely_real,
        target_fpr=chosen.target_fpr,
        target_fnr=chosen.target_fnr,
    )


def _export(model: CalibratedClassifierCV) -> FittedHead:
    (member,) = model.calibrated_classifiers_
    pipeline: Pipeline = member.estimator
    scaler: StandardScaler = pipeline[0]
    logistic: LogisticRegression = pipeline[-1]
    (calibrator,) = member.calibrators
    calibration = _calibration(calibrator)
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    return FittedHead(
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.where(scale > 0, scale, 1.0),
        coef=np.asarray(logistic.coef_[0], dtype=np.float64),
        intercept=float(logistic.intercept_[0]),
        calibration=calibration,
        model=model,
    )


def _calibration(calibrator: Any) -> Calibration:
    if hasattr(calibrator, "a_"):
        return Calibration("sigmoid", a=float(calibrator.a_), b=float(calibrator.b_))
    x = tuple(float(v) for v in calibrator.X_thresholds_)
    y = tuple(float(v) for v in calibrator.y_thresholds_)
    return Calibration("isotonic", x=x, y=y)


def _apply(fitted: FittedHead, features: np.ndarray) -> np.ndarray:
    decision = (features - fitted.mean) / fitted.scale @ fitted.coef + fitted.intercept
    return np.asarray(np.clip(fitted.calibration.apply(decision), 0.0, 1.0))
