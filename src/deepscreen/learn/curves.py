"""Point metrics and curves of a detector's scores: TPR at a given FPR, calibration (ECE and the
reliability table), and ROC and precision-recall points."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import precision_recall_curve, roc_curve

from deepscreen.learn.eval_inputs import FloatArray, IntArray, _pair
from deepscreen.learn.eval_report import _opt_float


def tpr_at_fpr(y: npt.ArrayLike, scores: npt.ArrayLike, fpr: float) -> float:
    """The highest TPR among ROC operating points (all distinct thresholds) with FPR <= ``fpr``.

    The operating point "flag nothing" (FPR 0, TPR 0) always qualifies, so the result is
    defined whenever both classes are present (ValueError otherwise).
    """
    if not 0.0 <= fpr <= 1.0:
        raise ValueError(f"fpr must be in [0, 1], got {fpr!r}")
    labels, values = _pair(y, scores, both_classes=True)
    fprs, tprs, _ = roc_curve(labels, values, drop_intermediate=False)
    return float(tprs[fprs <= fpr].max())


def _bin_index(p: FloatArray, bins: int) -> IntArray:
    """Bin ``i`` is [i/bins, (i+1)/bins), the last bin closed; exact at the edges."""
    idx = np.floor(p * bins).astype(np.int64)
    idx = np.where(p < idx / bins, idx - 1, idx)
    idx = np.where(p >= (idx + 1) / bins, idx + 1, idx)
    return np.clip(idx, 0, bins - 1)


def _check_bins(bins: int) -> None:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")


def _bin_sums(
    y: npt.ArrayLike, p: npt.ArrayLike, bins: int
) -> tuple[IntArray, FloatArray, FloatArray]:
    _check_bins(bins)
    labels, probs = _pair(y, p, unit=True)
    idx = _bin_index(probs, bins)
    counts = np.bincount(idx, minlength=bins).astype(np.int64)
    sum_p = np.bincount(idx, weights=probs, minlength=bins).astype(np.float64)
    sum_y = np.bincount(idx, weights=labels, minlength=bins).astype(np.float64)
    return counts, sum_p, sum_y


def expected_calibration_error(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> float:
    """ECE with ``bins`` equal-width bins on [0, 1] (bin i = [i/bins, (i+1)/bins), last closed).

    ECE = sum over non-empty bins b of (n_b / n) x |mean p in b - fraction of positives in b|.
    One class only is allowed (calibration is still defined).
    """
    counts, sum_p, sum_y = _bin_sums(y, p, bins)
    n = int(counts.sum())
    total = 0.0
    for count, sp, sy in zip(counts, sum_p, sum_y, strict=True):
        if count:
            total += (count / n) * abs(sp / count - sy / count)
    return float(total)


def reliability(y: npt.ArrayLike, p: npt.ArrayLike, bins: int = 10) -> list[dict[str, Any]]:
    """Reliability-diagram rows, one per bin (same bins as :func:`expected_calibration_error`).

    Each row: ``bin_low``, ``bin_high``, ``count``, ``mean_predicted`` and ``fraction_positive``
    (the last two None for an empty bin).
    """
    counts, sum_p, sum_y = _bin_sums(y, p, bins)
    rows: list[dict[str, Any]] = []
    for i in range(bins):
        count = int(counts[i])
        rows.append(
            {
                "bin_low": i / bins,
                "bin_high": (i + 1) / bins,
                "count": count,
                "mean_predicted": float(sum_p[i] / count) if count else None,
                "fraction_positive": float(sum_y[i] / count) if count else None,
            }
        )
    return rows


def _downsample(n: int, max_points: int) -> IntArray:
    """At most ``max_points`` sorted indices into range(n), always including 0 and n - 1."""
    if isinstance(max_points, bool) or not isinstance(max_points, int | np.integer):
        raise ValueError(f"max_points must be an integer, got {max_points!r}")
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2, got {max_points}")
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.round(np.linspace(0, n - 1, max_points)).astype(np.int64))


def _float_list(values: npt.ArrayLike) -> list[float | None]:
    return [_opt_float(v) for v in np.asarray(values, dtype=np.float64)]


def roc_points(
    y: npt.ArrayLike, s: npt.ArrayLike, max_points: int = 200
) -> dict[str, list[float | None]]:
    """ROC curve as ``{"fpr", "tpr", "threshold"}`` lists, at most ``max_points`` long.

    Points are sklearn's ``roc_curve`` (from (0, 0) to (1, 1)), evenly subsampled by index
    keeping both endpoints. The first threshold ("flag nothing", infinite in sklearn) is None.
    """
    labels, values = _pair(y, s, both_classes=True)
    fpr, tpr, thr = roc_curve(labels, values)
    keep = _downsample(len(fpr), max_points)
    return {
        "fpr": _float_list(fpr[keep]),
        "tpr": _float_list(tpr[keep]),
        "threshold": _float_list(thr[keep]),
    }


def pr_points(
    y: npt.ArrayLike, s: npt.ArrayLike, max_points: int = 200
) -> dict[str, list[float | None]]:
    """Precision-recall curve as ``{"precision", "recall", "threshold"}`` lists.

    Points are sklearn's ``precision_recall_curve`` (recall decreasing to the final point
    precision 1, recall 0, whose threshold is None), subsampled keeping both endpoints.
    """
    labels, values = _pair(y, s, both_classes=True)
    precision, recall, thr = precision_recall_curve(labels, values)
    thresholds = np.append(thr.astype(np.float64), np.inf)
    keep = _downsample(len(precision), max_points)
    return {
        "precision": _float_list(precision[keep]),
        "recall": _float_list(recall[keep]),
        "threshold": _float_list(thresholds[keep]),
    }
