"""The stacked ensemble: a logistic regression over several detectors' scores, each contributing its
score (0.5 when it abstained) and an abstention flag; a plain ``StackModel`` (JSON) whose
out-of-fold probabilities use the head's evaluation folds (docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from deepscreen.learn.train import CvPlan, TrainingFailed
from deepscreen.signals.ensemble import StackModel, stack_features


def stack_matrix(
    rows: Sequence[Mapping[str, float | None]], detectors: Sequence[str]
) -> np.ndarray:
    return np.asarray([stack_features(detectors, row) for row in rows], dtype=np.float64)


def fit_stack(
    rows: Sequence[Mapping[str, float | None]],
    labels: np.ndarray,
    detectors: Sequence[str],
    plan: CvPlan,
    *,
    C: float = 1.0,
) -> tuple[StackModel, np.ndarray]:
    """The fitted stack and its out-of-fold probabilities."""
    if not detectors:
        raise TrainingFailed("the stack needs at least one statistical detector")
    matrix = stack_matrix(rows, detectors)
    scored = ~matrix[:, 1::2].astype(bool)
    if not scored.any():
        raise TrainingFailed(f"none of {', '.join(detectors)} scored any training item")
    model = LogisticRegression(C=C, max_iter=5000)
    oof = cross_val_predict(
        model, matrix, labels, groups=plan.groups, cv=plan.splitter, method="predict_proba"
    )[:, 1]
    model.fit(matrix, labels)
    weights = model.coef_[0]
    stack = StackModel(
        detectors=tuple(detectors),
        coef_score=tuple(float(w) for w in weights[0::2]),
        coef_abstain=tuple(float(w) for w in weights[1::2]),
        intercept=float(model.intercept_[0]),
        training={
            "items": int(len(labels)),
            "ai": int(np.sum(labels == 1)),
            "real": int(np.sum(labels == 0)),
            "scored_fraction": {
                name: float(scored[:, i].mean()) for i, name in enumerate(detectors)
            },
            "cv": plan.description,
        },
    )
    expected = model.predict_proba(matrix)[:, 1]
    got = np.asarray([stack.probability(row) for row in rows])
    if not np.allclose(expected, got, atol=1e-9):
        raise AssertionError("stack export differs from scikit-learn")
    return stack, np.asarray(oof)
