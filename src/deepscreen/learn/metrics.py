"""Evaluation of a binary AI-generated-media detector (ROC and PR curves, TPR at FPR, calibration,
thresholds), with class-stratified percentile bootstrap intervals. Conventions (1 = AI-generated,
flagged when ``score >= threshold``) and resampling: docs/internals/learn.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import average_precision_score, roc_auc_score

from deepscreen.learn.curves import (
    expected_calibration_error,
    pr_points,
    reliability,
    roc_points,
    tpr_at_fpr,
)
from deepscreen.learn.eval_bootstrap import Metric, _boot_metric_values, bootstrap
from deepscreen.learn.eval_inputs import BoolArray, _check_bootstrap_args, _pair
from deepscreen.learn.eval_report import (
    DEFINITIONS,
    ECE_BINS,
    METRIC_KEYS,
    Estimate,
    EvalReport,
)
from deepscreen.learn.thresholds import Thresholds, choose_thresholds
from deepscreen.stats import proportion
from deepscreen.stats.bootstrap import percentile_if_enough

__all__ = [
    "DEFINITIONS",
    "ECE_BINS",
    "METRIC_KEYS",
    "Estimate",
    "EvalReport",
    "Metric",
    "Thresholds",
    "bootstrap",
    "choose_thresholds",
    "evaluate",
    "expected_calibration_error",
    "format_estimate",
    "format_table",
    "pr_points",
    "reliability",
    "roc_points",
    "tpr_at_fpr",
]


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


def _rate_estimate(hits: BoolArray, level: float) -> Estimate:
    """Fraction of ``hits`` with the interval of ``stats.proportion`` (docs/metrics.md, 'Detector
    evaluation'): Wilson, and the rule of three at 0/n (about 14 % for 0 of 20).

    Not a bootstrap: a percentile bootstrap of a proportion collapses to [0, 0] at 0/n and to
    [1, 1] at n/n — "0 false positives among 20 photos, CI 0–0 %".
    """
    rate = proportion(int(hits.sum()), int(hits.size), confidence=level)
    return Estimate(rate.value, rate.low, rate.high)


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
