"""Fit a calibrated logistic-regression head and estimate how it does on unseen data: the head
(exported to plain arrays), its out-of-fold probabilities from source-grouped folds, and the
thresholds chosen on them, never on training scores (docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import BaseCrossValidator, StratifiedGroupKFold, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from deepscreen.core.errors import ConfigError, InvalidInput
from deepscreen.learn.metrics import Thresholds, choose_thresholds
from deepscreen.learn.weights import SCHEMES, WeightScheme, sample_weights
from deepscreen.signals.learned.head import Calibration, HeadThresholds

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
    weights: WeightScheme = "none"

    def __post_init__(self) -> None:
        problems = []
        if self.weights not in SCHEMES:
            problems.append(f"weights {self.weights!r} is not one of {', '.join(SCHEMES)}")
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
    C: float
    model: CalibratedClassifierCV = field(repr=False)
    scaler: StandardScaler = field(repr=False)

    def sklearn_proba(self, features: np.ndarray) -> np.ndarray:
        """scikit-learn's own probabilities (the exported arrays must reproduce them)."""
        return np.asarray(self.model.predict_proba(self.scaler.transform(features))[:, 1])


def plan_cv(
    labels: np.ndarray,
    sources: list[str],
    folds: int,
    seed: int,
    images: Sequence[str] | None = None,
) -> CvPlan:
    """Grouped folds by source when at least two sources per class exist, else stratified.

    Items without a source are their own group. ``images`` (one id per row) says which rows
    come from one image — the faces of a face-crop set — so that an image's rows are always
    held out together. The number of folds is capped by the smaller class's count of groups,
    so every training fold keeps both classes.
    """
    if folds < 2:
        raise TrainingFailed(f"cross-validation needs at least 2 folds, got {folds}")
    item = (
        [f"\0item{i}" for i in range(len(labels))]
        if images is None
        else [f"\0image{image}" for image in images]
    )
    minority = min(len({item[i] for i in np.flatnonzero(labels == c)}) for c in (0, 1))
    if minority < 2:
        raise TrainingFailed("each class needs at least 2 images for cross-validation")
    named = {s for s in sources if s}
    if named:
        groups = np.array([s if s else item[i] for i, s in enumerate(sources)])
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
        return _stratified(min(folds, minority), seed, images, item, "", (warning,))
    note = " (no sources given: an in-distribution estimate)"
    return _stratified(min(folds, minority), seed, images, item, note, ())


def _stratified(
    k: int,
    seed: int,
    images: Sequence[str] | None,
    item: list[str],
    note: str,
    warnings: tuple[str, ...],
) -> CvPlan:
    """Stratified folds; by image (rows of one image together) when rows share images."""
    if images is None:
        return CvPlan(
            StratifiedKFold(n_splits=k, shuffle=True, random_state=seed),
            None,
            f"{k}-fold stratified{note}",
            warnings,
        )
    return CvPlan(
        StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed),
        np.array(item),
        f"{k}-fold stratified, grouped by image{note}",
        warnings,
    )


def make_estimator(
    config: TrainConfig, backbone_kind: str, labels: np.ndarray, copies: int = 0
) -> CalibratedClassifierCV:
    """The calibrated logistic regression fitted on standardised features.

    The calibrator's folds split images, not rows: an image and its augmented copies (rows
    ``i + k·n``) always fall on the same side, so calibration never sees a twin of a training
    row.
    """
    c = config.C if config.C is not None else DEFAULT_C.get(backbone_kind, 1.0)
    minority = int(min(np.sum(labels == 1), np.sum(labels == 0)))
    inner = StratifiedKFold(
        n_splits=max(2, min(5, minority)), shuffle=True, random_state=config.seed
    )
    n = len(labels)
    splits = [
        (
            np.concatenate([train + k * n for k in range(copies + 1)]),
            np.concatenate([test + k * n for k in range(copies + 1)]),
        )
        for train, test in inner.split(np.zeros(n), labels)
    ]
    base = LogisticRegression(C=c, max_iter=5000)
    return CalibratedClassifierCV(base, method=config.calibration, cv=splits, ensemble=False)


def training_rows(
    features: np.ndarray,
    labels: np.ndarray,
    groups: list[str],
    scheme: WeightScheme,
    augmented: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, labels and weights: every image, then each augmented copy of every image."""
    weights = sample_weights(labels, groups, scheme)
    copies = 0 if augmented is None else augmented.shape[0]
    rows = features if augmented is None else np.concatenate([features, *augmented])
    return rows, np.tile(labels, copies + 1), np.tile(weights, copies + 1)


def fit_head(
    features: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig,
    backbone_kind: str,
    *,
    groups: list[str] | None = None,
    augmented: np.ndarray | None = None,
) -> FittedHead:
    """Fit on everything and export the fitted model to plain arrays."""
    groups = groups if groups is not None else [""] * len(labels)
    rows, targets, weights = training_rows(features, labels, groups, config.weights, augmented)
    scaler = StandardScaler().fit(rows)
    copies = 0 if augmented is None else augmented.shape[0]
    model = make_estimator(config, backbone_kind, labels, copies)
    standardised = scaler.transform(rows)
    model.fit(standardised, targets, sample_weight=weights)
    fitted = _export(model, scaler)
    expected = fitted.sklearn_proba(features)
    got = _apply(fitted, features)
    if not np.allclose(expected, got, atol=1e-6):  # the export must be exact
        raise AssertionError(
            f"head export differs from scikit-learn by {np.abs(expected - got).max()}"
        )
    return fitted


def out_of_fold(
    features: np.ndarray,
    labels: np.ndarray,
    plan: CvPlan,
    config: TrainConfig,
    kind: str,
    *,
    groups: list[str] | None = None,
    augmented: np.ndarray | None = None,
) -> np.ndarray:
    """Out-of-fold calibrated probabilities of the whole fit procedure (weights and augmented
    training rows included; held-out images are scored as they are, never augmented)."""
    groups = groups if groups is not None else [""] * len(labels)
    folds = list(plan.splitter.split(features, labels, plan.groups))
    for train, _ in folds:
        if len(set(labels[train].tolist())) < 2:
            raise TrainingFailed(
                "a cross-validation training fold holds one class only; add sources or images"
            )
    scores = np.zeros(len(labels), dtype=np.float64)
    for train, test in folds:
        scores[test] = fit_and_score(
            features, labels, train, test, config, kind, groups=groups, augmented=augmented
        )
    return scores


def fit_and_score(
    features: np.ndarray,
    labels: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    config: TrainConfig,
    kind: str,
    *,
    groups: list[str],
    augmented: np.ndarray | None = None,
) -> np.ndarray:
    """Fit the head procedure on the ``train`` rows; calibrated scores of the ``test`` rows."""
    fitted = fit_head(
        features[train],
        labels[train],
        config,
        kind,
        groups=[groups[i] for i in train],
        augmented=None if augmented is None else augmented[:, train],
    )
    return _apply(fitted, features[test])


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


def _export(model: CalibratedClassifierCV, scaler: StandardScaler) -> FittedHead:
    (member,) = model.calibrated_classifiers_
    logistic: LogisticRegression = member.estimator
    (calibrator,) = member.calibrators
    calibration = _calibration(calibrator)
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    return FittedHead(
        mean=np.asarray(scaler.mean_, dtype=np.float64),
        scale=np.where(scale > 0, scale, 1.0),
        coef=np.asarray(logistic.coef_[0], dtype=np.float64),
        intercept=float(logistic.intercept_[0]),
        calibration=calibration,
        C=float(logistic.C),
        model=model,
        scaler=scaler,
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
