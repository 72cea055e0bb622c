"""Evaluation metrics: definitions on hand-computed examples, bootstrap, thresholds, report."""

from __future__ import annotations

import itertools
import json
import math
import time
from typing import Any

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from deepscreen.learn.metrics import (
    METRIC_KEYS,
    Estimate,
    EvalReport,
    Thresholds,
    bootstrap,
    choose_thresholds,
    evaluate,
    expected_calibration_error,
    format_estimate,
    format_table,
    pr_points,
    reliability,
    roc_points,
    tpr_at_fpr,
)


def noisy(n: int, seed: int = 1, *, decimals: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Balanced-ish labels with overlapping scores in [0, 1] (optionally rounded -> ties)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0.0, 1.0)
    if decimals is not None:
        s = s.round(decimals)
    return y, s


def assert_plain_json(value: Any) -> None:
    """Only plain Python JSON types (no numpy scalars, which json would partly accept)."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            assert_plain_json(item)
    elif isinstance(value, list):
        for item in value:
            assert_plain_json(item)
    else:
        assert value is None or type(value) in (str, int, float, bool), repr(value)
        if type(value) is float:
            assert math.isfinite(value)


# --------------------------------------------------------------------------- tpr_at_fpr


def test_tpr_at_fpr_on_a_known_curve() -> None:
    # Descending: 0.9 P, 0.8 P, 0.7 N, 0.6 P, 0.4 P, 0.3 N, 0.2 N, 0.1 N.
    # ROC points (fpr, tpr): (0,0) (0,.25) (0,.5) (.25,.5) (.25,.75) (.25,1) (.5,1) (.75,1) (1,1)
    y = [0, 0, 0, 0, 1, 1, 1, 1]
    s = [0.1, 0.2, 0.3, 0.7, 0.4, 0.6, 0.8, 0.9]
    assert tpr_at_fpr(y, s, 0.0) == 0.5
    assert tpr_at_fpr(y, s, 0.2) == 0.5
    assert tpr_at_fpr(y, s, 0.25) == 1.0
    assert tpr_at_fpr(y, s, 1.0) == 1.0


def test_tpr_at_fpr_keeps_collinear_operating_points() -> None:
    # Each score holds one positive and one negative: points (0,0) (1/3,1/3) (2/3,2/3) (1,1).
    # sklearn's default drop_intermediate would drop (1/3, 1/3) and answer 0.
    y = [0, 1, 0, 1, 0, 1]
    s = [0.8, 0.8, 0.5, 0.5, 0.2, 0.2]
    assert tpr_at_fpr(y, s, 0.4) == pytest.approx(1 / 3)
    assert tpr_at_fpr(y, s, 0.3) == 0.0


def test_tpr_at_fpr_needs_both_classes_and_a_valid_rate() -> None:
    with pytest.raises(ValueError, match="both classes"):
        tpr_at_fpr([1, 1], [0.2, 0.3], 0.01)
    with pytest.raises(ValueError, match="fpr"):
        tpr_at_fpr([0, 1], [0.2, 0.3], 1.5)


# --------------------------------------------------------------------------- calibration


def test_ece_by_hand() -> None:
    # bin 1: p 0.10, 0.15 (mean 0.125), y 0, 1 (0.5)  -> 2/4 * 0.375 = 0.1875
    # bin 8: p 0.8, y 1                                -> 1/4 * 0.2   = 0.05
    # bin 9: p 0.9, y 0                                -> 1/4 * 0.9   = 0.225
    y = [0, 1, 1, 0]
    p = [0.10, 0.15, 0.8, 0.9]
    assert expected_calibration_error(y, p) == pytest.approx(0.4625)
    # Two bins: [0, .5) holds 0.10, 0.15; [.5, 1] holds 0.8 (y 1), 0.9 (y 0): mean .85 vs .5.
    assert expected_calibration_error(y, p, bins=2) == pytest.approx(0.5 * 0.375 + 0.5 * 0.35)


def test_ece_is_zero_when_perfectly_calibrated_and_allows_one_class() -> None:
    assert expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.0
    assert expected_calibration_error([1, 1], [1.0, 1.0]) == 0.0
    assert expected_calibration_error([0, 0], [0.25, 0.25]) == pytest.approx(0.25)


def test_reliability_bins_edges_and_empty_bins() -> None:
    rows = reliability([0, 1, 1, 0, 1], [0.0, 0.3, 0.35, 0.7, 1.0], bins=10)
    assert len(rows) == 10
    assert rows[0] == {
        "bin_low": 0.0,
        "bin_high": 0.1,
        "count": 1,
        "mean_predicted": 0.0,
        "fraction_positive": 0.0,
    }
    assert rows[1]["count"] == 0
    assert rows[1]["mean_predicted"] is None and rows[1]["fraction_positive"] is None
    # 0.3 sits on the lower edge of bin 3 ([0.3, 0.4)), 1.0 in the closed last bin.
    assert rows[3]["count"] == 2
    assert rows[3]["mean_predicted"] == pytest.approx(0.325)
    assert rows[3]["fraction_positive"] == 1.0
    assert rows[7]["count"] == 1
    assert rows[9]["count"] == 1 and rows[9]["fraction_positive"] == 1.0
    assert sum(row["count"] for row in rows) == 5


def test_bin_edges_are_exact_for_awkward_bin_counts() -> None:
    # k/49 * 49 is not always exactly k in floating point; each score must land in bin k.
    p = np.arange(49) / 49
    rows = reliability(np.zeros(49, dtype=int), p, bins=49)
    assert [row["count"] for row in rows] == [1] * 49


# --------------------------------------------------------------------------- curves


def test_roc_and_pr_points_downsample_keeping_endpoints() -> None:
    y, s = noisy(2000, seed=3)
    full_roc = roc_points(y, s, max_points=10_000)
    full_pr = pr_points(y, s, max_points=10_000)
    assert len(full_roc["fpr"]) > 200 and len(full_pr["recall"]) > 200
    for max_points in (2, 50, 200):
        roc = roc_points(y, s, max_points=max_points)
        pr = pr_points(y, s, max_points=max_points)
        assert {len(v) for v in roc.values()} == {len(roc["fpr"])}
        assert {len(v) for v in pr.values()} == {len(pr["recall"])}
        assert 2 <= len(roc["fpr"]) <= max_points
        assert 2 <= len(pr["recall"]) <= max_points
        for curve, full in ((roc, full_roc), (pr, full_pr)):
            for key in curve:
                assert curve[key][0] == full[key][0]
                assert curve[key][-1] == full[key][-1]
    roc = roc_points(y, s)
    assert (roc["fpr"][0], roc["tpr"][0], roc["threshold"][0]) == (0.0, 0.0, None)
    assert (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    pr = pr_points(y, s)
    assert (pr["recall"][-1], pr["precision"][-1], pr["threshold"][-1]) == (0.0, 1.0, None)
    assert pr["recall"][0] == 1.0
    json.dumps(roc, allow_nan=False)
    json.dumps(pr, allow_nan=False)
    with pytest.raises(ValueError, match="max_points"):
        roc_points(y, s, max_points=1)


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_is_deterministic_for_a_seed() -> None:
    y, s = noisy(300)
    a = bootstrap(roc_auc_score, y, s, n_boot=200, seed=7)
    b = bootstrap(roc_auc_score, y, s, n_boot=200, seed=7)
    c = bootstrap(roc_auc_score, y, s, n_boot=200, seed=8)
    assert a == b
    assert a.value == c.value
    assert (a.low, a.high) != (c.low, c.high)


def test_bootstrap_interval_contains_point_and_narrows_with_more_data() -> None:
    y_small, s_small = noisy(200, seed=4)
    y_large, s_large = noisy(4000, seed=4)
    small = bootstrap(roc_auc_score, y_small, s_small, n_boot=300)
    large = bootstrap(roc_auc_score, y_large, s_large, n_boot=300)
    for est in (small, large):
        assert est.value is not None and est.low is not None and est.high is not None
        assert est.low <= est.value <= est.high
    assert small.low is not None and small.high is not None
    assert large.low is not None and large.high is not None
    assert large.high - large.low < 0.5 * (small.high - small.low)


def test_bootstrap_resamples_keep_class_counts() -> None:
    y, s = noisy(57, seed=2)
    seen: list[tuple[int, int]] = []

    def metric(labels: np.ndarray, scores: np.ndarray) -> float:
        seen.append((labels.size, int(labels.sum())))
        return float(scores.mean())

    bootstrap(metric, y, s, n_boot=20)
    assert set(seen) == {(57, int(np.sum(y)))}
    assert len(seen) == 21  # the point value and 20 resamples


def test_bootstrap_skips_failed_resamples_and_gives_up_below_half() -> None:
    y, s = noisy(100)

    def failing_every(k: int, *, error: bool):
        calls = itertools.count()

        def metric(labels: np.ndarray, scores: np.ndarray) -> float:
            i = next(calls)
            if i > 0 and i % k != 0:  # the point value (call 0) always succeeds
                if error:
                    raise ValueError("undefined")
                return math.nan
            return float(scores.mean())

        return metric

    # 1 in 3 resamples succeeds (< half): no interval.
    est = bootstrap(failing_every(3, error=True), y, s, n_boot=99)
    assert est.value == pytest.approx(float(np.mean(s)))
    assert est.low is None and est.high is None
    # nan on every other resample (exactly half succeed): an interval from the successes.
    est = bootstrap(failing_every(2, error=False), y, s, n_boot=100)
    assert est.low is not None and est.high is not None
    assert est.low <= est.high


def test_bootstrap_undefined_point_and_zero_resamples() -> None:
    assert bootstrap(roc_auc_score, [1, 1, 1], [0.1, 0.2, 0.3], n_boot=10) == Estimate(
        None, None, None
    )
    assert bootstrap(roc_auc_score, [0, 1], [0.1, 0.9], n_boot=0) == Estimate(1.0, None, None)
    with pytest.raises(ValueError, match="level"):
        bootstrap(roc_auc_score, [0, 1], [0.1, 0.9], level=1.0)
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap(roc_auc_score, [0, 1], [0.1, 0.9], n_boot=-1)


# --------------------------------------------------------------------------- thresholds


def test_choose_thresholds_reaches_the_targets_exactly() -> None:
    # 100 negatives: 98 at 0.1, one at 0.7, one at 0.9 -> one false positive allowed (1%).
    # 20 positives: 0.05, 0.2, 0.6, 0.65, then 16 from 0.75 to 0.99 -> one miss allowed (5%).
    neg = [0.1] * 98 + [0.7, 0.9]
    pos = [0.05, 0.2, 0.6, 0.65, *np.linspace(0.75, 0.99, 16).tolist()]
    y = [0] * len(neg) + [1] * len(pos)
    th = choose_thresholds(y, neg + pos, target_fpr=0.01, target_fnr=0.05)
    # Smallest observed t with at most one negative >= t: the first score above 0.7.
    assert th.likely_ai == 0.75
    assert th.fpr_at_likely_ai == 0.01
    assert th.tpr_at_likely_ai == pytest.approx(16 / 20)
    # Largest observed t with at most one positive < t: 0.2 (t = 0.6 would miss two).
    assert th.likely_real == 0.2
    assert th.fnr_at_likely_real == 0.05
    assert (th.target_fpr, th.target_fnr) == (0.01, 0.05)
    assert th.classify(0.75) == "likely_ai"
    assert th.classify(0.7) == "inconclusive"
    assert th.classify(0.2) == "inconclusive"
    assert th.classify(0.19) == "likely_real"


def test_choose_thresholds_flags_nothing_when_negatives_tie_at_the_top() -> None:
    neg = [0.2] * 50 + [1.0, 1.0]  # 2/52 of negatives at the maximum score > 1%
    pos = [0.5] * 10
    th = choose_thresholds([0] * 52 + [1] * 10, neg + pos)
    assert th.likely_ai > 1.0 and th.likely_ai == np.nextafter(1.0, 2.0)
    assert th.fpr_at_likely_ai == 0.0 and th.tpr_at_likely_ai == 0.0
    assert th.likely_real == 0.5 and th.fnr_at_likely_real == 0.0
    assert th.classify(1.0) == "inconclusive"


def test_choose_thresholds_flags_every_positive_and_resolves_overlap() -> None:
    # Perfect separation: every positive is flagged at no false positive, and the likely-real
    # rule (up to 2 of 50 positives below) would reach above likely_ai: it is clamped.
    neg = np.linspace(0.0, 0.4, 50).tolist()
    pos = np.linspace(0.6, 1.0, 50).tolist()
    th = choose_thresholds([0] * 50 + [1] * 50, neg + pos)
    assert th.likely_ai == 0.6
    assert (th.fpr_at_likely_ai, th.tpr_at_likely_ai) == (0.0, 1.0)
    assert th.likely_real == th.likely_ai
    assert th.fnr_at_likely_real == 0.0
    assert th.classify(0.59) == "likely_real"
    assert th.classify(0.6) == "likely_ai"


def test_choose_thresholds_validates() -> None:
    for kwargs in ({"target_fpr": 0.0}, {"target_fpr": 0.6}, {"target_fnr": -0.1}):
        with pytest.raises(ValueError, match="target_f"):
            choose_thresholds([0, 1], [0.2, 0.8], **kwargs)
    with pytest.raises(ValueError, match="both classes"):
        choose_thresholds([0, 0], [0.2, 0.8])


def test_thresholds_round_trip_and_invariant() -> None:
    y, s = noisy(500)
    th = choose_thresholds(y, s)
    data = th.to_dict()
    assert_plain_json(data)
    assert Thresholds.from_dict(json.loads(json.dumps(data))) == th
    with pytest.raises(ValueError, match="missing"):
        Thresholds.from_dict({"likely_ai": 0.5})
    with pytest.raises(ValueError, match="must not exceed"):
        Thresholds(0.5, 0.6, 0.01, 0.05, 0.0, 0.0, 0.0)


# --------------------------------------------------------------------------- evaluate


def test_evaluate_point_values_match_the_definitions() -> None:
    y, s = noisy(400, decimals=2)
    report = evaluate(y, s, n_boot=50)
    m = report.metrics
    assert set(m) == set(METRIC_KEYS)
    assert m["auc"].value == pytest.approx(roc_auc_score(y, s))
    assert m["average_precision"].value == pytest.approx(average_precision_score(y, s))
    assert m["tpr_at_1pct_fpr"].value == tpr_at_fpr(y, s, 0.01)
    assert m["tpr_at_5pct_fpr"].value == tpr_at_fpr(y, s, 0.05)
    assert m["ece"].value == pytest.approx(expected_calibration_error(y, s))
    assert (report.n, report.positives, report.negatives) == (400, int(y.sum()), 400 - y.sum())
    assert report.reliability == reliability(y, s)
    assert report.bootstrap == {"n_boot": 50, "seed": 0, "level": 0.95}


@pytest.mark.parametrize("decimals", [None, 1])
def test_evaluate_intervals_equal_the_generic_bootstrap(decimals: int | None) -> None:
    # The vectorised bootstrap inside evaluate must agree with bootstrap() on the sklearn-based
    # definitions (same seed -> same resamples), with and without tied scores.
    y, s = noisy(150, seed=5, decimals=decimals)
    report = evaluate(y, s, n_boot=60, seed=11)
    reference = {
        "auc": roc_auc_score,
        "average_precision": average_precision_score,
        "tpr_at_1pct_fpr": lambda a, b: tpr_at_fpr(a, b, 0.01),
        "tpr_at_5pct_fpr": lambda a, b: tpr_at_fpr(a, b, 0.05),
        "ece": expected_calibration_error,
    }
    for key, metric in reference.items():
        expected = bootstrap(metric, y, s, n_boot=60, seed=11)
        got = report.metrics[key]
        assert got.low == pytest.approx(expected.low, abs=1e-12), key
        assert got.high == pytest.approx(expected.high, abs=1e-12), key


def test_perfect_separation_gives_auc_one_and_a_degenerate_interval() -> None:
    y = [0] * 30 + [1] * 30
    s = np.linspace(0.0, 0.4, 30).tolist() + np.linspace(0.6, 1.0, 30).tolist()
    m = evaluate(y, s, n_boot=200).metrics
    for key in ("auc", "average_precision", "tpr_at_1pct_fpr", "tpr_at_5pct_fpr"):
        assert m[key] == Estimate(1.0, 1.0, 1.0), key


def test_per_source_recall_and_false_positive_rate() -> None:
    items = [
        # (source, label, score)
        ("a", 1, 0.9),
        ("a", 1, 0.8),
        ("a", 1, 0.2),
        ("a", 1, 0.6),
        ("a", 0, 0.1),
        ("a", 0, 0.7),
        ("b", 1, 0.95),
        ("b", 1, 0.4),
        ("c", 0, 0.3),
        ("c", 0, 0.55),
        ("c", 0, 0.05),
        ("c", 0, 0.5),
    ]
    sources = [src for src, _, _ in items]
    y = [label for _, label, _ in items]
    s = [score for _, _, score in items]
    report = evaluate(y, s, sources=sources, threshold=0.5, n_boot=200, seed=3)
    rows = {row["source"]: row for row in report.per_source}
    assert [row["source"] for row in report.per_source] == ["a", "b", "c"]
    assert (rows["a"]["n"], rows["a"]["positives"], rows["a"]["negatives"]) == (6, 4, 2)
    assert rows["a"]["recall"].value == 0.75
    assert rows["a"]["fpr"].value == 0.5
    assert rows["b"]["recall"].value == 0.5 and rows["b"]["fpr"] is None
    assert rows["c"]["recall"] is None
    assert rows["c"]["fpr"].value == 0.5  # 0.55 and 0.5 are >= 0.5
    for row in report.per_source:
        for key in ("recall", "fpr"):
            est = row[key]
            if est is not None:
                assert 0.0 <= est.low <= est.value <= est.high <= 1.0
    # Wilson score intervals (deepscreen.stats), with the rule of three at 0/n: honest at 0/n
    # and n/n, where a bootstrap interval collapses.
    assert rows["a"]["recall"].low == pytest.approx(0.30064184258240184)
    zero = evaluate([1, 1, 0, 0, 0], [0.9, 0.8, 0.1, 0.2, 0.3], sources=list("aabbb"), n_boot=100)
    fpr_b = {row["source"]: row for row in zero.per_source}["b"]["fpr"]
    assert fpr_b.value == 0.0 and fpr_b.low == 0.0 and fpr_b.high == pytest.approx(0.6316, abs=1e-3)


def test_evaluate_rejects_bad_input() -> None:
    ok_y, ok_s = [0, 1, 0, 1], [0.1, 0.9, 0.2, 0.8]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"y": [0, 1, 0], "scores": ok_s}, "length"),
        ({"y": [0, 1, 2, 1], "scores": ok_s}, "0 or 1"),
        ({"y": ok_y, "scores": [0.1, math.nan, 0.2, 0.8]}, "finite"),
        ({"y": ok_y, "scores": [0.1, math.inf, 0.2, 0.8]}, "finite"),
        ({"y": ok_y, "scores": [0.1, 1.2, 0.2, 0.8]}, r"\[0, 1\]"),
        ({"y": ok_y, "scores": [-0.1, 0.9, 0.2, 0.8]}, r"\[0, 1\]"),
        ({"y": ok_y, "scores": ["a", "b", "c", "d"]}, "numbers"),
        ({"y": [1, 1, 1, 1], "scores": ok_s}, "both classes"),
        ({"y": [], "scores": []}, "no items"),
        ({"y": ok_y, "scores": ok_s, "sources": ["a", "b"]}, "sources"),
        ({"y": ok_y, "scores": ok_s, "sources": "abcd"}, "sources"),
        ({"y": ok_y, "scores": ok_s, "threshold": math.nan}, "threshold"),
        ({"y": ok_y, "scores": ok_s, "n_boot": -5}, "n_boot"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            evaluate(**kwargs)


def test_report_to_dict_is_plain_json() -> None:
    y, s = noisy(300, decimals=2)
    sources = np.where(np.arange(300) % 3 == 0, "gen-x", "camera").tolist()
    report = evaluate(y, s, sources=sources, n_boot=50)
    assert isinstance(report, EvalReport)
    data = report.to_dict()
    json.dumps(data, allow_nan=False)
    assert_plain_json(data)
    assert set(data["metrics"]) == set(METRIC_KEYS)
    assert set(data["metrics"]["auc"]) == {"value", "low", "high"}
    assert data["per_source"][0]["source"] == "camera"


def test_format_table_rows() -> None:
    y, s = noisy(200)
    report = evaluate(y, s, sources=["x"] * 200, n_boot=50)
    rows = dict(format_table(report))
    auc = report.metrics["auc"]
    assert rows["AUC"] == f"{auc.value:.3f} [{auc.low:.3f}, {auc.high:.3f}]"
    assert "Recall: x (n=" + str(report.positives) + ")" in rows
    assert format_estimate(Estimate(None, None, None)) == "n/a"
    assert format_estimate(Estimate(0.5, None, None)) == "0.500 (no interval)"
    assert format_estimate(Estimate(0.9123, 0.87, 0.948)) == "0.912 [0.870, 0.948]"


def test_evaluate_is_fast_enough_for_a_few_thousand_items() -> None:
    y, s = noisy(3000, decimals=3)
    sources = np.where(np.arange(3000) % 2 == 0, "a", "b").tolist()
    start = time.perf_counter()
    evaluate(y, s, sources=sources, n_boot=1000)
    assert time.perf_counter() - start < 10.0
