"""Evaluation of a binary AI-generated-media detector (ROC and PR curves, TPR at FPR, calibration,
thresholds), with class-stratified percentile bootstrap intervals. Conventions (1 = AI-generated,
flagged when ``score >= threshold``) and resampling: docs/internals/learn.md."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    average_precision_score,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from deepscreen.stats import proportion, stratified_indices
from deepscreen.stats.bootstrap import percentile_if_enough
from deepscreen.stats.common import check_confidence, check_replicates

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
Metric = Callable[[IntArray, FloatArray], float]
"""A metric of (labels, scores), e.g. ``sklearn.metrics.roc_auc_score``."""

METRIC_KEYS: tuple[str, ...] = (
    "auc",
    "average_precision",
    "tpr_at_1pct_fpr",
    "tpr_at_5pct_fpr",
    "ece",
)

DEFINITIONS: dict[str, str] = {
    "auc": "area under the ROC curve: P(score of a random AI item > score of a random real "
    "item), ties counting one half",
    "average_precision": "sum over thresholds t (descending) of (recall(t) - recall(previous t))"
    " x precision(t)",
    "tpr_at_1pct_fpr": "highest true-positive rate among ROC operating points with "
    "false-positive rate <= 1%",
    "tpr_at_5pct_fpr": "highest true-positive rate among ROC operating points with "
    "false-positive rate <= 5%",
    "ece": "expected calibration error: sum over equal-width score bins of "
    "(items in bin / n) x |mean score - fraction AI-generated|",
    "recall": "AI-generated items with score >= threshold / AI-generated items",
    "fpr": "real items with score >= threshold / real items",
}

ECE_BINS = 10
"""Number of equal-width bins used by :func:`evaluate` for ECE and the reliability table."""

_TOLERANCE = 1e-9


# --------------------------------------------------------------------------- results


def _opt_float(value: float | np.floating[Any] | None) -> float | None:
    """A plain Python float, or None for None / nan / infinity."""
    if value is None:
        return None
    out = float(value)
    return out if math.isfinite(out) else None


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point value and a two-sided interval; ``value`` is None when the metric is undefined.

    ``low``/``high`` are None when the value is undefined or too few bootstrap resamples
    produced a value (see :func:`bootstrap`).
    """

    value: float | None
    low: float | None
    high: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Two operating thresholds chosen on out-of-fold scores.

    ``score >= likely_ai`` is *likely AI-generated*; ``score < likely_real`` is *likely real*;
    anything in between is *inconclusive*. Always ``likely_real <= likely_ai``.
    The ``*_at_*`` fields are the rates observed on the data the thresholds were chosen on.
    """

    likely_ai: float
    likely_real: float
    target_fpr: float
    target_fnr: float
    fpr_at_likely_ai: float
    tpr_at_likely_ai: float
    fnr_at_likely_real: float

    def __post_init__(self) -> None:
        for f in fields(self):
            if not math.isfinite(getattr(self, f.name)):
                raise ValueError(f"threshold field {f.name} must be finite")
        if self.likely_real > self.likely_ai:
            raise ValueError(
                f"likely_real ({self.likely_real}) must not exceed likely_ai ({self.likely_ai})"
            )

    def classify(self, score: float) -> str:
        """'likely_ai', 'likely_real' or 'inconclusive' for one score."""
        if score >= self.likely_ai:
            return "likely_ai"
        if score < self.likely_real:
            return "likely_real"
        return "inconclusive"

    def to_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thresholds:
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"thresholds missing field(s): {', '.join(missing)}")
        return cls(**{name: float(data[name]) for name in names})


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Everything :func:`evaluate` measured, with the settings needed to reproduce it.

    ``metrics`` has exactly the keys in :data:`METRIC_KEYS`. ``per_source`` rows are
    ``{source, n, positives, negatives, recall, fpr}`` where ``recall`` (sources with AI items)
    and ``fpr`` (sources with real items) are :class:`Estimate` or None, both at ``threshold``.
    """

    n: int
    positives: int
    negatives: int
    metrics: dict[str, Estimate]
    threshold: float
    per_source: list[dict[str, Any]]
    reliability: list[dict[str, float | int | None]]
    roc: dict[str, list[float | None]]
    pr: dict[str, list[float | None]]
    bootstrap: dict[str, float | int]

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible data (plain floats/ints/str/None; no nan or infinity)."""
        per_source = []
        for row in self.per_source:
            out = dict(row)
            for key in ("recall", "fpr"):
                est = row.get(key)
                out[key] = est.to_dict() if isinstance(est, Estimate) else None
            per_source.append(out)
        return {
            "n": self.n,
            "positives": self.positives,
            "negatives": self.negatives,
            "metrics": {key: est.to_dict() for key, est in self.metrics.items()},
            "threshold": self.threshold,
            "per_source": per_source,
            "reliability": [dict(row) for row in self.reliability],
            "roc": {key: list(values) for key, values in self.roc.items()},
            "pr": {key: list(values) for key, values in self.pr.items()},
            "bootstrap": dict(self.bootstrap),
        }


# --------------------------------------------------------------------------- validation


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


# --------------------------------------------------------------------------- point metrics


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


# --------------------------------------------------------------------------- bootstrap


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


def _rate_estimate(hits: BoolArray, level: float) -> Estimate:
    """Fraction of ``hits`` with the interval of ``stats.proportion`` (docs/metrics.md, 'Detector
    evaluation'): Wilson, and the rule of three at 0/n (about 14 % for 0 of 20).

    Not a bootstrap: a percentile bootstrap of a proportion collapses to [0, 0] at 0/n and to
    [1, 1] at n/n — "0 false positives among 20 photos, CI 0–0 %".
    """
    rate = proportion(int(hits.sum()), int(hits.size), confidence=level)
    return Estimate(rate.value, rate.low, rate.high)


# --------------------------------------------------------------------------- thresholds


def choose_thresholds(
    y: npt.ArrayLike,
    oof_scores: npt.ArrayLike,
    *,
    target_fpr: float = 0.01,
    target_fnr: float = 0.05,
) -> Thresholds:
    """Choose the likely-AI and likely-real thresholds on out-of-fold scores.

    * ``likely_ai`` is the smallest observed score t such that the fraction of negatives with
      ``score >= t`` is <= ``target_fpr``. If even the highest observed score gives a higher FPR
      (many negatives tied at the top), it is the next float above the highest score, so
      nothing is flagged (FPR 0, TPR 0).
    * ``likely_real`` is the largest observed score t such that the fraction of positives with
      ``score < t`` is <= ``target_fnr`` (the smallest score always qualifies, with FNR 0).
    * If ``likely_real > likely_ai`` the two rules overlap; the likely-AI rule wins and
      ``likely_real`` is lowered to ``likely_ai`` (no inconclusive band; the reported FNR is
      recomputed and can only fall).

    Targets must be in (0, 0.5]; both classes must be present.
    """
    for name, target in (("target_fpr", target_fpr), ("target_fnr", target_fnr)):
        if not 0.0 < target <= 0.5:
            raise ValueError(f"{name} must be in (0, 0.5], got {target!r}")
    labels, scores = _pair(y, oof_scores, unit=True, both_classes=True)
    neg = np.sort(scores[labels == 0])
    pos = np.sort(scores[labels == 1])
    candidates = np.unique(scores)

    false_positives = neg.size - np.searchsorted(neg, candidates, side="left")
    ai_ok = false_positives <= target_fpr * neg.size + _TOLERANCE
    if ai_ok.any():
        likely_ai = float(candidates[int(np.argmax(ai_ok))])
    else:
        likely_ai = float(np.nextafter(candidates[-1], np.inf))

    false_negatives = np.searchsorted(pos, candidates, side="left")
    real_ok = false_negatives <= target_fnr * pos.size + _TOLERANCE
    likely_real = min(float(candidates[np.flatnonzero(real_ok)[-1]]), likely_ai)

    return Thresholds(
        likely_ai=likely_ai,
        likely_real=likely_real,
        target_fpr=float(target_fpr),
        target_fnr=float(target_fnr),
        fpr_at_likely_ai=float(np.mean(neg >= likely_ai)),
        tpr_at_likely_ai=float(np.mean(pos >= likely_ai)),
        fnr_at_likely_real=float(np.mean(pos < likely_real)),
    )


# --------------------------------------------------------------------------- evaluation


def evaluate(
    y: npt.ArrayLike,
    scores: npt.ArrayLike,
    *,
    sources: Sequence[str] | None = None,
    threshold: float = 0.5,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> EvalReport:
    """Evaluate calibrated scores against 0/1 labels, with stratified bootstrap intervals.

    Point values: AUC and average precision (sklearn), TPR at 1% and 5% FPR
    (:func:`tpr_at_fpr`), ECE with :data:`ECE_BINS` bins. Intervals: percentile bootstrap,
    stratified by class (see :func:`bootstrap`; the same seed gives the same resamples).
    Per source (if ``sources`` is given, one name per item): recall at ``threshold`` over that
    source's AI items and false-positive rate at ``threshold`` over its real items, each with a
    Wilson interval, rule of three at 0/n (a bootstrap interval of a proportion is degenerate
    at 0/n and n/n).
    """
    labels, values = _pair(y, scores, unit=True, both_classes=True)
    if not math.isfinite(threshold):
        raise ValueError(f"threshold must be finite, got {threshold!r}")
    _check_bootstrap_args(n_boot, level)
    names: list[str] | None = None
    if sources is not None:
        if isinstance(sources, str):
            raise ValueError("sources must be a sequence of names, one per item, not a string")
        names = [str(name) for name in sources]
        if len(names) != labels.size:
            raise ValueError(f"sources and labels differ in length ({len(names)} != {labels.size})")

    points = {
        "auc": float(roc_auc_score(labels, values)),
        "average_precision": float(average_precision_score(labels, values)),
        "tpr_at_1pct_fpr": tpr_at_fpr(labels, values, 0.01),
        "tpr_at_5pct_fpr": tpr_at_fpr(labels, values, 0.05),
        "ece": expected_calibration_error(labels, values, ECE_BINS),
    }
    boot_values = _boot_metric_values(labels, values, n_boot, seed)
    metrics = {
        key: Estimate(points[key], *percentile_if_enough(boot_values[key], n_boot, level))
        for key in METRIC_KEYS
    }

    per_source: list[dict[str, Any]] = []
    if names is not None:
        source_arr = np.asarray(names, dtype=object)
        flagged = values >= threshold
        for name in sorted(set(names)):
            mask = source_arr == name
            pos_hits = flagged[mask & (labels == 1)]
            neg_hits = flagged[mask & (labels == 0)]
            per_source.append(
                {
                    "source": name,
                    "n": int(mask.sum()),
                    "positives": int(pos_hits.size),
                    "negatives": int(neg_hits.size),
                    "recall": _rate_estimate(pos_hits, level) if pos_hits.size else None,
                    "fpr": _rate_estimate(neg_hits, level) if neg_hits.size else None,
                }
            )

    positives = int(labels.sum())
    return EvalReport(
        n=int(labels.size),
        positives=positives,
        negatives=int(labels.size) - positives,
        metrics=metrics,
        threshold=float(threshold),
        per_source=per_source,
        reliability=reliability(labels, values, ECE_BINS),
        roc=roc_points(labels, values),
        pr=pr_points(labels, values),
        bootstrap={"n_boot": int(n_boot), "seed": int(seed), "level": float(level)},
    )


# --------------------------------------------------------------------------- formatting


def format_estimate(estimate: Estimate | None, digits: int = 3) -> str:
    """``"0.912 [0.871, 0.948]"``; ``"n/a"`` when undefined; no brackets without an interval."""
    if estimate is None or estimate.value is None:
        return "n/a"
    text = f"{estimate.value:.{digits}f}"
    if estimate.low is None or estimate.high is None:
        return f"{text} (no interval)"
    return f"{text} [{estimate.low:.{digits}f}, {estimate.high:.{digits}f}]"


_LABELS = {
    "auc": "AUC",
    "average_precision": "Average precision",
    "tpr_at_1pct_fpr": "TPR at 1% FPR",
    "tpr_at_5pct_fpr": "TPR at 5% FPR",
    "ece": f"ECE ({ECE_BINS} bins)",
}


def format_table(report: EvalReport, digits: int = 3) -> list[tuple[str, str]]:
    """Human-readable (label, value) rows, e.g. ``("AUC", "0.912 [0.871, 0.948]")``."""
    rows = [
        (
            "Items",
            f"{report.n} ({report.positives} AI-generated, {report.negatives} real)",
        )
    ]
    rows += [
        (_LABELS[key], format_estimate(report.metrics.get(key), digits)) for key in METRIC_KEYS
    ]
    rows.append(("Threshold (score >= t flags)", f"{report.threshold:.{digits}f}"))
    for row in report.per_source:
        if row.get("recall") is not None:
            label = f"Recall: {row['source']} (n={row['positives']})"
            rows.append((label, format_estimate(row["recall"], digits)))
        if row.get("fpr") is not None:
            label = f"FPR: {row['source']} (n={row['negatives']})"
            rows.append((label, format_estimate(row["fpr"], digits)))
    boot = report.bootstrap
    rows.append(
        (
            "Intervals",
            f"{float(boot['level']):.0%} percentile bootstrap, {boot['n_boot']} stratified "
            f"resamples, seed {boot['seed']}",
        )
    )
    return rows
