"""Interval estimators: proportions against statsmodels and by hand, the item bootstrap (exact
resampling, determinism, order invariance, coarsening), exact quantile intervals, paired diffs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from deepscreen.stats import (
    Difference,
    Interval,
    ProportionMethod,
    bootstrap_mean,
    bootstrap_quantile,
    bootstrap_ratio,
    paired_bootstrap_diff,
    paired_bootstrap_sums,
    proportion,
    proportion_bounds,
    quantile_interval_ranks,
    rate_per,
)
from deepscreen.stats import bootstrap as engine

# --------------------------------------------------------------------------- proportions


@pytest.mark.parametrize(("k", "n"), [(1, 1), (1, 4), (3, 10), (50, 100), (99, 100), (7, 7)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    interval = proportion(k, n)
    assert interval.value == pytest.approx(k / n)
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-12)
    assert interval.n == n and interval.method == "wilson"


@pytest.mark.parametrize(("k", "n"), [(1, 4), (3, 10), (50, 100), (7, 7)])
def test_clopper_pearson_matches_statsmodels(k: int, n: int) -> None:
    low, high = proportion_confint(k, n, alpha=0.05, method="beta")
    interval = proportion(k, n, method="clopper_pearson")
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=1e-10)
    assert interval.method == "clopper_pearson"


def test_wilson_by_hand_one_of_four() -> None:
    z = stats.norm.ppf(0.975)
    centre = (1 + z * z / 2) / (4 + z * z)
    half = z * math.sqrt(1 * 3 / 4 + z * z / 4) / (4 + z * z)
    interval = proportion(1, 4)
    assert (interval.low, interval.high) == pytest.approx((centre - half, centre + half))


@pytest.mark.parametrize("n", [1, 5, 30, 1000])
@pytest.mark.parametrize("method", ["wilson", "clopper_pearson"])
def test_rule_of_three_at_zero(n: int, method: ProportionMethod) -> None:
    interval = proportion(0, n, method=method)
    assert interval.value == 0.0 and interval.low == 0.0
    assert interval.high == pytest.approx(1 - 0.05 ** (1 / n))
    assert interval.method == "rule_of_three" and interval.n == n
    if n >= 30:
        assert interval.high == pytest.approx(3 / n, rel=0.05)  # "rule of three"


def test_rule_of_three_follows_confidence() -> None:
    assert proportion(0, 10, confidence=0.9).high == pytest.approx(1 - 0.1 ** (1 / 10))


def test_no_trials_gives_no_estimate() -> None:
    assert proportion(0, 0) == Interval(None, None, None, 0, "wilson")
    value, low, high = proportion_bounds([0, 1], [0, 2])
    assert np.isnan(value[0]) and np.isnan(low[0]) and np.isnan(high[0])
    assert value[1] == 0.5


@pytest.mark.parametrize(("k", "n"), [(-1, 3), (4, 3), (1.5, 3), (True, 3)])
def test_invalid_counts_raise(k: float, n: int) -> None:
    with pytest.raises(ValueError):
        proportion(k, n)  # type: ignore[arg-type]


def test_invalid_confidence_and_method_raise() -> None:
    with pytest.raises(ValueError):
        proportion(1, 2, confidence=1.0)
    with pytest.raises(ValueError):
        proportion(1, 2, method="normal")  # type: ignore[arg-type]


def test_rate_per_scales_value_and_bounds() -> None:
    base = proportion(3, 1000)
    rate = rate_per(3, 1000)
    assert rate.value == pytest.approx(30.0)
    assert (rate.low, rate.high) == pytest.approx((base.low * 1e4, base.high * 1e4))  # type: ignore[operator]
    assert rate_per(0, 50).high == pytest.approx((1 - 0.05 ** (1 / 50)) * 10_000)
    assert rate_per(1, 8, per=100).value == pytest.approx(12.5)


def test_proportion_bounds_vectorised_equals_scalar() -> None:
    k = np.array([0, 1, 5, 10, 0])
    n = np.array([10, 10, 10, 10, 0])
    value, low, high = proportion_bounds(k, n)
    for i in range(4):
        scalar = proportion(int(k[i]), int(n[i]))
        assert (value[i], low[i], high[i]) == pytest.approx((scalar.value, scalar.low, scalar.high))


def test_proportion_bounds_accepts_effective_counts() -> None:
    # Kish effective sample size: a weighted share p̂ on n_eff "items"
    value, low, high = proportion_bounds(0.16 * 2.99, 2.99)
    ref_low, ref_high = proportion_confint(0.16 * 2.99, 2.99, alpha=0.05, method="wilson")
    assert value == pytest.approx(0.16)
    assert (low, high) == pytest.approx((ref_low, ref_high))


def test_interval_to_dict_is_json_and_scaled() -> None:
    interval = proportion(2, 8)
    as_dict = interval.to_dict()
    assert set(as_dict) == {"value", "low", "high", "n", "method"}
    json.dumps(as_dict, allow_nan=False)
    assert interval.scaled(100).value == pytest.approx(25.0)
    assert Interval(None, None, None, 0, "wilson").scaled(10).value is None


# --------------------------------------------------------------------------- bootstrap


def test_bootstrap_mean_value_and_determinism() -> None:
    rng = np.random.default_rng(1)
    x = rng.lognormal(0, 1, 300)
    first = bootstrap_mean(x, n_boot=500, seed=3)
    assert first.value == pytest.approx(x.mean())
    assert first.low is not None and first.high is not None
    assert first.low < first.value < first.high
    assert bootstrap_mean(x, n_boot=500, seed=3) == first
    assert bootstrap_mean(x, n_boot=500, seed=4) != first
    assert first.n == 300 and first.method == "bootstrap_percentile"


def test_bootstrap_is_invariant_to_item_order() -> None:
    rng = np.random.default_rng(2)
    x = rng.poisson(5, 400).astype(float)
    shuffled = rng.permutation(x)
    assert bootstrap_mean(x, n_boot=300, seed=0) == bootstrap_mean(shuffled, n_boot=300, seed=0)
    y = rng.random(400) < 0.3
    order = rng.permutation(400)
    assert bootstrap_ratio(x * y, x, n_boot=300, seed=0) == bootstrap_ratio(
        (x * y)[order], x[order], n_boot=300, seed=0
    )


@pytest.mark.parametrize("values", [np.arange(2000) % 7, np.arange(60) % 40])
def test_both_resampling_schemes_match_the_normal_theory_spread(values: np.ndarray) -> None:
    """Many items over few distinct values take the multinomial path; few items over many
    distinct values the index path: both must reproduce the bootstrap standard error s/√n."""
    x = values.astype(float)
    rows, counts = engine.distinct_rows(x[:, None])
    sums = engine.replicate_sums(rows, counts, 4000, np.random.default_rng(0))
    means = sums[:, 0] / len(x)
    assert means.mean() == pytest.approx(x.mean(), rel=0.01)
    assert means.std() == pytest.approx(x.std() / math.sqrt(len(x)), rel=0.05)


def test_bootstrap_mean_weighted_is_hajek() -> None:
    x = np.array([1.0, 0.0, 0.0, 1.0])
    w = np.array([2.0, 10.0, 10.0, 2.0])
    interval = bootstrap_mean(x, w, n_boot=200, seed=0)
    assert interval.value == pytest.approx(4 / 24)


def test_bootstrap_constant_and_empty() -> None:
    assert bootstrap_mean([3.0] * 10, n_boot=50) == Interval(
        3.0, 3.0, 3.0, 10, "bootstrap_percentile"
    )
    assert bootstrap_mean([], n_boot=50).value is None
    assert bootstrap_ratio([1.0, 2.0], [0.0, 0.0]).value is None


def test_bootstrap_rejects_missing_values_and_bad_arguments() -> None:
    with pytest.raises(ValueError):
        bootstrap_mean([1.0, math.nan])
    with pytest.raises(ValueError):
        bootstrap_mean([1.0, 2.0], n_boot=0)
    with pytest.raises(ValueError):
        bootstrap_mean([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        bootstrap_ratio([1.0, 2.0], [1.0])


def test_coarsening_keeps_totals_and_width() -> None:
    rng = np.random.default_rng(5)
    x = rng.lognormal(1, 1.2, 20_000)
    rows, counts = engine.distinct_rows(x[:, None])
    coarse_rows, coarse_counts = engine.coarsen(rows, counts, 256)
    assert len(coarse_rows) <= 256
    assert coarse_counts.sum() == len(x)
    assert coarse_counts @ coarse_rows[:, 0] == pytest.approx(x.sum(), rel=1e-12)
    between = coarse_counts @ (coarse_rows[:, 0] - x.mean()) ** 2 / len(x)
    assert between / x.var() > 0.999  # at most δ²/4 of the variance is lost
    exact = bootstrap_mean(x, n_boot=2000, seed=1, max_distinct=10**9)
    coarse = bootstrap_mean(x, n_boot=2000, seed=1, max_distinct=256)
    assert coarse.value == pytest.approx(exact.value)
    assert coarse.high - coarse.low == pytest.approx(exact.high - exact.low, rel=0.08)  # type: ignore[operator]


def test_large_bootstrap_is_fast() -> None:
    """1,000 replicates of a mean and two quantiles over 1,000,000 items (benchmarked target:
    well under 30 s on one core; here a loose bound to catch regressions)."""
    import time

    rng = np.random.default_rng(0)
    views = rng.poisson(rng.lognormal(2, 2, 1_000_000)).astype(float)
    hours = rng.lognormal(1, 1.5, 1_000_000)
    start = time.perf_counter()
    mean = bootstrap_mean(views, n_boot=1000, seed=0)
    median = bootstrap_quantile(hours, 0.5, n_boot=1000)
    p90 = bootstrap_quantile(hours, 0.9, n_boot=1000)
    assert time.perf_counter() - start < 15
    half = 1.96 * views.std() / 1000
    assert (mean.high - mean.low) / 2 == pytest.approx(half, rel=0.15)  # type: ignore[operator]
    assert median.low < median.value < median.high  # type: ignore[operator]
    assert p90.low < p90.value < p90.high  # type: ignore[operator]


def test_bootstrap_sums_are_sums_over_resampled_rows() -> None:
    matrix = np.arange(24, dtype=np.float64).reshape(8, 3)
    sums = paired_bootstrap_sums(matrix, n_boot=50, seed=9)
    draws = np.random.default_rng(9).integers(0, 8, size=(50, 8))
    np.testing.assert_array_equal(sums, matrix[draws].sum(axis=1))
    chunked = paired_bootstrap_sums(np.ones((8, 1)), n_boot=50, seed=9, chunk_cells=16)
    assert (chunked == 8).all()  # every replicate draws n rows, in any chunking


# --------------------------------------------------------------------------- quantiles


def test_quantile_value_is_linear_interpolation() -> None:
    assert bootstrap_quantile([1, 2, 3, 4], 0.5).value == 2.5
    assert bootstrap_quantile([2, 3, 4, 5], 0.9).value == pytest.approx(4.7)
    assert bootstrap_quantile([], 0.5).value is None


def test_exact_quantile_ranks_by_hand() -> None:
    # n = 5, median (rank 3): P(Bin(5, 1/5) >= 3) = 0.058 >= 0.025 -> lower = x(1);
    # P(Bin(5, 4/5) >= 3) = 0.942 < 0.975, P(Bin(5, 1) >= 3) = 1 -> upper = x(5).
    lo, hi = quantile_interval_ranks(5, 0.5)
    assert (int(lo), int(hi)) == (0, 4)
    lo, hi = quantile_interval_ranks(1, 0.9)
    assert (int(lo), int(hi)) == (0, 0)
    interval = bootstrap_quantile([10.0, 1.0, 7.0, 3.0, 5.0], 0.5)
    assert (interval.low, interval.value, interval.high) == (1.0, 5.0, 10.0)


@pytest.mark.parametrize("n", [9, 40, 41])
@pytest.mark.parametrize("q", [0.5, 0.9])
def test_exact_quantile_interval_matches_brute_force_bootstrap(n: int, q: float) -> None:
    """The closed form against many actual resamples of the same values."""
    rng = np.random.default_rng(n)
    x = np.sort(rng.exponential(1, n))
    exact = bootstrap_quantile(x, q)
    brute = np.quantile(x[rng.integers(0, n, size=(40_000, n))], q, axis=1)
    low, high = np.quantile(brute, [0.025, 0.975])
    # the exact interval contains the percentile interval, at most one order statistic wider
    rank = np.searchsorted(x, [exact.low, exact.high])
    assert exact.low <= low + 1e-12 and exact.high >= high - 1e-12  # type: ignore[operator]
    assert rank[0] >= np.searchsorted(x, low, side="right") - 2
    assert rank[1] <= np.searchsorted(x, high) + 1


def test_exact_and_resampled_quantile_intervals_agree() -> None:
    rng = np.random.default_rng(11)
    x = np.round(rng.lognormal(0, 1, 1001), 3)
    exact = bootstrap_quantile(x, 0.5)
    resampled = bootstrap_quantile(x, 0.5, n_boot=4000, seed=1, method="resample")
    assert exact.method == "bootstrap_exact_percentile"
    assert resampled.method == "bootstrap_percentile"
    assert resampled.value == exact.value
    spread = exact.high - exact.low  # type: ignore[operator]
    assert resampled.low == pytest.approx(exact.low, abs=0.1 * spread)
    assert resampled.high == pytest.approx(exact.high, abs=0.1 * spread)


def test_quantile_ties_and_invalid_q() -> None:
    interval = bootstrap_quantile([2.0] * 7 + [9.0], 0.5)
    assert (interval.low, interval.value, interval.high) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        bootstrap_quantile([1.0], 1.5)
    with pytest.raises(ValueError):
        quantile_interval_ranks(0, 0.5)


# --------------------------------------------------------------------------- paired difference


def test_paired_identical_policies_differ_by_nothing() -> None:
    a = np.random.default_rng(0).random(200) < 0.3
    diff = paired_bootstrap_diff(a, a.copy(), "proportion", n_boot=300)
    assert isinstance(diff, Difference)
    assert (diff.value, diff.low, diff.high) == (0.0, 0.0, 0.0)
    assert not diff.significant


def test_paired_difference_of_action_rates() -> None:
    rng = np.random.default_rng(1)
    a = rng.random(2000) < 0.30
    b = a | (rng.random(2000) < 0.05)  # policy B acts on everything A does, and more
    diff = paired_bootstrap_diff(a, b, "proportion", n_boot=1000, seed=2)
    assert diff.value == pytest.approx(b.mean() - a.mean())
    assert diff.value_a == pytest.approx(a.mean()) and diff.value_b == pytest.approx(b.mean())
    assert diff.significant and diff.low > 0  # type: ignore[operator]
    # pairing: the paired interval is much narrower than treating the samples as independent
    independent = 1.96 * math.sqrt(a.var() / 2000 + b.var() / 2000)
    assert (diff.high - diff.low) / 2 < 0.5 * independent  # type: ignore[operator]
    assert json.dumps(diff.to_dict(), allow_nan=False)


def test_paired_precision_named_equals_callable() -> None:
    rng = np.random.default_rng(3)
    violating = rng.random(600) < 0.4
    acted_a = rng.random(600) < np.where(violating, 0.6, 0.2)
    acted_b = acted_a & (violating | (rng.random(600) < 0.5))  # B drops half of A's errors
    a = np.column_stack([acted_a, violating])
    b = np.column_stack([acted_b, violating])
    named = paired_bootstrap_diff(a, b, "precision", n_boot=2000, seed=0)

    def precision(data: np.ndarray, idx: np.ndarray) -> float:
        acted, viol = data[idx, 0], data[idx, 1]
        return float((acted & viol).sum() / acted.sum())

    by_callable = paired_bootstrap_diff(a, b, precision, n_boot=2000, seed=0)
    assert named.value == pytest.approx(by_callable.value)
    expected = (acted_b & violating).sum() / acted_b.sum() - (
        acted_a & violating
    ).sum() / acted_a.sum()
    assert named.value == pytest.approx(expected)
    assert named.low == pytest.approx(by_callable.low, abs=0.015)
    assert named.high == pytest.approx(by_callable.high, abs=0.015)
    assert named.significant


def test_paired_recall_fpr_ratio_and_mean() -> None:
    rng = np.random.default_rng(4)
    violating = rng.random(500) < 0.5
    acted_a = rng.random(500) < 0.5
    acted_b = acted_a | violating
    a, b = np.column_stack([acted_a, violating]), np.column_stack([acted_b, violating])
    recall = paired_bootstrap_diff(a, b, "recall", n_boot=300)
    assert recall.value == pytest.approx(1.0 - (acted_a & violating).sum() / violating.sum())
    fpr = paired_bootstrap_diff(a, b, "false_positive_rate", n_boot=300)
    assert fpr.value == pytest.approx(0.0)
    views_a = rng.poisson(30, 500).astype(float)
    views_b = views_a * 0.5
    mean = paired_bootstrap_diff(views_a, views_b, "mean", n_boot=300)
    assert mean.value == pytest.approx(-views_a.mean() / 2) and mean.significant
    ratio = paired_bootstrap_diff(
        np.column_stack([views_a, np.ones(500)]), np.column_stack([views_b, np.ones(500)]), "ratio"
    )
    assert ratio.value == pytest.approx(mean.value)


def test_paired_validation_and_undefined() -> None:
    with pytest.raises(ValueError):
        paired_bootstrap_diff(np.zeros(3), np.zeros(4), "mean")
    with pytest.raises(ValueError):
        paired_bootstrap_diff(np.array([0.5, 1.0]), np.array([1.0, 0.0]), "proportion")
    with pytest.raises(ValueError):
        paired_bootstrap_diff(np.zeros(3), np.zeros(3), "precision")
    nothing_acted = np.zeros((5, 2), dtype=bool)
    undefined = paired_bootstrap_diff(nothing_acted, nothing_acted, "precision")
    assert undefined.value is None and not undefined.significant
