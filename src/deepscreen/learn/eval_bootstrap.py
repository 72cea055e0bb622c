"""Stratified percentile bootstrap of detector metrics: one metric resampled by calling it
(``bootstrap``), or all of ``METRIC_KEYS`` vectorised over batches of resamples."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import UndefinedMetricWarning

from deepscreen.learn.curves import _bin_index
from deepscreen.learn.eval_inputs import FloatArray, IntArray, _check_bootstrap_args, _pair
from deepscreen.learn.eval_report import ECE_BINS, METRIC_KEYS, Estimate, _opt_float
from deepscreen.stats import stratified_indices
from deepscreen.stats.bootstrap import percentile_if_enough

Metric = Callable[[IntArray, FloatArray], float]
"""A metric of (labels, scores), e.g. ``sklearn.metrics.roc_auc_score``."""


def _safe(metric: Metric, labels: IntArray, scores: FloatArray) -> float:
    """``metric(labels, scores)``, or nan if it raises ValueError.

    sklearn's "undefined metric" warnings are silenced: such metrics return nan, which is
    handled (skipped) here, and a warning per resample would only be noise.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        try:
            return float(metric(labels, scores))
        except ValueError:
            return math.nan


def bootstrap(
    metric: Metric,
    y: npt.ArrayLike,
    s: npt.ArrayLike,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate:
    """``metric(y, s)`` on all the data, with a stratified percentile bootstrap interval.

    Resamples keep the class counts (positives and negatives are resampled separately, with
    replacement) and are drawn with ``numpy.random.default_rng(seed)``. Resamples where the
    metric raises ValueError or returns nan (or infinity) are skipped; if fewer than half of the
    ``n_boot`` resamples give a value, ``low``/``high`` are None. If the metric is undefined on
    the full data, everything is None.
    """
    _check_bootstrap_args(n_boot, level)
    labels, scores = _pair(y, s)
    point = _opt_float(_safe(metric, labels, scores))
    if point is None:
        return Estimate(None, None, None)
    values = np.fromiter(
        (
            _safe(metric, labels[row], scores[row])
            for batch in stratified_indices(labels, n_boot, seed)
            for row in batch
        ),
        dtype=np.float64,
        count=n_boot,
    )
    low, high = percentile_if_enough(values, n_boot, level)
    return Estimate(point, low, high)


def _previous_end(end_counts: IntArray) -> IntArray:
    """Per position, the count at the last tie-group end strictly before it (0 if none)."""
    out = np.zeros_like(end_counts)
    out[:, 1:] = np.maximum.accumulate(end_counts, axis=1)[:, :-1]
    return out


def _batch_metrics(labels: IntArray, scores: FloatArray, bins: int) -> dict[str, FloatArray]:
    """The :data:`METRIC_KEYS` metrics for each row of (resamples x items) matrices at once.

    Same definitions as the sklearn-based point values (equal up to rounding); nan where a
    row lacks a class.
    """
    rows, n = scores.shape
    n1 = labels.sum(axis=1).astype(np.float64)
    n0 = n - n1
    out: dict[str, FloatArray] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        # Cumulative counts in descending score order, read at the end of each tie group.
        order = np.argsort(-scores, axis=1, kind="stable")
        sorted_scores = np.take_along_axis(scores, order, axis=1)
        sorted_labels = np.take_along_axis(labels, order, axis=1)
        tp = np.cumsum(sorted_labels, axis=1)
        flagged = np.arange(1, n + 1)
        fp = flagged - tp
        is_end = np.ones((rows, n), dtype=bool)
        is_end[:, :-1] = sorted_scores[:, :-1] != sorted_scores[:, 1:]
        tpr = tp / n1[:, None]
        fpr = fp / n0[:, None]
        for key, target in (("tpr_at_1pct_fpr", 0.01), ("tpr_at_5pct_fpr", 0.05)):
            value = np.where(is_end & (fpr <= target), tpr, 0.0).max(axis=1)
            out[key] = np.where((n0 > 0) & (n1 > 0), value, np.nan)

        # Counts at the previous tie-group end (0 before the first): counts never decrease,
        # so a running maximum over group ends carries them forward.
        prev_tp = _previous_end(np.where(is_end, tp, 0))
        prev_fp = _previous_end(np.where(is_end, fp, 0))
        # AUC: trapezoidal area under the ROC steps (ties count one half).
        area = np.where(is_end, (fp - prev_fp) * (tp + prev_tp), 0).sum(axis=1)
        out["auc"] = area / (2.0 * n0 * n1)
        gain = np.where(is_end, (tp - prev_tp) * (tp / flagged), 0.0)
        out["average_precision"] = gain.sum(axis=1) / n1

        # ECE = sum over bins of |sum of p - sum of y| / n.
        offsets = (
            np.arange(rows, dtype=np.int64)[:, None] * bins + _bin_index(scores, bins)
        ).ravel()
        sum_p = np.bincount(offsets, weights=scores.ravel(), minlength=rows * bins)
        sum_y = np.bincount(
            offsets, weights=labels.ravel().astype(np.float64), minlength=rows * bins
        )
        out["ece"] = np.abs(sum_p - sum_y).reshape(rows, bins).sum(axis=1) / n
    return out


def _boot_metric_values(
    labels: IntArray, scores: FloatArray, n_boot: int, seed: int
) -> dict[str, FloatArray]:
    chunks: dict[str, list[FloatArray]] = {key: [] for key in METRIC_KEYS}
    for idx in stratified_indices(labels, n_boot, seed):
        batch = _batch_metrics(labels[idx], scores[idx], ECE_BINS)
        for key in METRIC_KEYS:
            chunks[key].append(batch[key])
    return {
        key: np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)
        for key, parts in chunks.items()
    }
