"""Do the 95% intervals cover the true value 95% of the time? Seeded simulations, 1,000
repetitions each; a method passes when its coverage lies within 93–97% (the binomial standard
error of a coverage estimate over 1,000 repetitions is about 0.7 points)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from deepscreen.stats import (
    bootstrap_mean,
    bootstrap_quantile,
    paired_bootstrap_diff,
    proportion_bounds,
)

REPETITIONS = 1000
LOW, HIGH = 0.93, 0.97


def test_wilson_coverage_at_moderate_p_and_n() -> None:
    n, p = 300, 0.3
    rng = np.random.default_rng(20261001)
    k = rng.binomial(n, p, REPETITIONS)
    _, low, high = proportion_bounds(k, n)
    coverage = float(np.mean((low <= p) & (p <= high)))
    assert LOW <= coverage <= HIGH, coverage
    # the exact coverage of this design, for reference: 94.9%
    ks = np.arange(n + 1)
    _, all_low, all_high = proportion_bounds(ks, n)
    exact = stats.binom.pmf(ks, n, p)[(all_low <= p) & (p <= all_high)].sum()
    assert exact == pytest.approx(0.9494, abs=1e-3)


def test_rule_of_three_covers_rare_events() -> None:
    """With p = 0.2% and n = 300, most samples have k = 0 and report the one-sided bound."""
    n, p = 300, 0.002
    rng = np.random.default_rng(3)
    k = rng.binomial(n, p, REPETITIONS)
    _, low, high = proportion_bounds(k, n)
    assert np.mean(k == 0) > 0.5
    assert np.mean((low <= p) & (p <= high)) >= LOW


@pytest.mark.slow
def test_bootstrap_mean_coverage_for_skewed_views() -> None:
    """Mean of a skewed (lognormal, σ = 0.75) variable from 500 items, 1,000 replicates each."""
    sigma = 0.75
    true_mean = math.exp(sigma**2 / 2)
    rng = np.random.default_rng(20261002)
    hits = 0
    for repetition in range(REPETITIONS):
        sample = rng.lognormal(0.0, sigma, 500)
        interval = bootstrap_mean(sample, n_boot=1000, seed=repetition)
        assert interval.low is not None and interval.high is not None
        hits += interval.low <= true_mean <= interval.high
    assert LOW <= hits / REPETITIONS <= HIGH, hits / REPETITIONS


def test_bootstrap_median_and_p90_coverage() -> None:
    """Exact bootstrap percentile intervals of the median and p90 of 500 exponential times."""
    rng = np.random.default_rng(20261003)
    median_hits = p90_hits = 0
    for _ in range(REPETITIONS):
        hours = rng.exponential(1.0, 500)
        median = bootstrap_quantile(hours, 0.5)
        p90 = bootstrap_quantile(hours, 0.9)
        median_hits += median.low <= math.log(2) <= median.high  # type: ignore[operator]
        p90_hits += p90.low <= math.log(10) <= p90.high  # type: ignore[operator]
    assert LOW <= median_hits / REPETITIONS <= HIGH, median_hits / REPETITIONS
    assert LOW <= p90_hits / REPETITIONS <= HIGH, p90_hits / REPETITIONS


def test_paired_bootstrap_difference_coverage() -> None:
    """Action rates of two policies on the same 500 items: B disagrees with A on 20% of items,
    so the true difference is 0.4·0.8 + 0.6·0.2 − 0.4 = 0.04."""
    rng = np.random.default_rng(7)
    hits = 0
    for repetition in range(REPETITIONS):
        a = rng.random(500) < 0.4
        b = a ^ (rng.random(500) < 0.2)
        difference = paired_bootstrap_diff(a, b, "proportion", n_boot=1000, seed=repetition)
        hits += difference.low <= 0.04 <= difference.high  # type: ignore[operator]
    assert LOW <= hits / REPETITIONS <= HIGH, hits / REPETITIONS
