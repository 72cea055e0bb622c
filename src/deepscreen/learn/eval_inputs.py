"""Checked inputs of the detector evaluation: 0/1 labels and finite scores as NumPy arrays, and
the bootstrap settings (docs/internals/learn.md, "deepscreen.learn.metrics")."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from deepscreen.stats.resampling import check_confidence, check_replicates

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _labels(y: npt.ArrayLike) -> IntArray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError("labels must be 0 or 1 (1 = AI-generated)")
    return arr.astype(np.int64)


def _scores(s: npt.ArrayLike, *, unit: bool, name: str = "scores") -> FloatArray:
    try:
        arr = np.asarray(s, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (found nan or infinity)")
    if unit and arr.size and (arr.min() < 0.0 or arr.max() > 1.0):
        raise ValueError(f"{name} must be probabilities in [0, 1]")
    return arr


def _pair(
    y: npt.ArrayLike,
    s: npt.ArrayLike,
    *,
    unit: bool = False,
    both_classes: bool = False,
) -> tuple[IntArray, FloatArray]:
    labels = _labels(y)
    scores = _scores(s, unit=unit)
    if labels.size != scores.size:
        raise ValueError(f"labels and scores differ in length ({labels.size} != {scores.size})")
    if labels.size == 0:
        raise ValueError("no items to evaluate")
    if both_classes:
        positives = int(labels.sum())
        if positives == 0 or positives == labels.size:
            raise ValueError(
                "need both classes (AI-generated = 1 and real = 0); "
                f"got {positives} positive(s) and {labels.size - positives} negative(s)"
            )
    return labels, scores


def _check_bootstrap_args(n_boot: int, level: float) -> None:
    check_replicates(n_boot, minimum=0)
    check_confidence(level, name="level")
