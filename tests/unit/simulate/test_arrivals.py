"""Upload arrivals: daily counts, hourly shares, ordering, bounds, determinism, refused inputs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from deepscreen.simulate.arrivals import upload_hours

FLAT = np.full(24, 1 / 24)
# A diurnal cycle: quiet at night, busy in the evening, one silent hour.
DIURNAL = 1.0 + 0.8 * np.sin(2 * np.pi * (np.arange(24) - 9) / 24)
DIURNAL[4] = 0.0
DIURNAL = DIURNAL / DIURNAL.sum()


def test_mean_daily_count_is_per_day_when_averaged_over_many_days():
    rng = np.random.default_rng(11)
    days = 400
    counts = np.array(
        [upload_hours(rng, per_day=1_000.0, hourly_cycle=DIURNAL, day=d).size for d in range(days)]
    )
    standard_error = np.sqrt(1_000.0 / days)  # Poisson: variance = mean
    assert abs(counts.mean() - 1_000.0) < 5 * standard_error
    # Poisson dispersion: the variance of the daily count is its mean.
    assert counts.var(ddof=1) == pytest.approx(1_000.0, rel=0.25)


def test_hourly_shares_follow_the_cycle_when_the_cycle_is_diurnal():
    rng = np.random.default_rng(12)
    times = upload_hours(rng, per_day=200_000.0, hourly_cycle=DIURNAL, day=3)
    observed = np.bincount(np.floor(times - 72).astype(int), minlength=24)
    assert observed.size == 24
    assert observed[4] == 0  # a zero-weight hour gets no uploads
    hours = DIURNAL > 0
    expected = DIURNAL[hours] * observed.sum()
    result = stats.chisquare(observed[hours], expected)
    assert result.pvalue > 1e-3


def test_times_are_uniform_within_their_hour():
    rng = np.random.default_rng(13)
    times = upload_hours(rng, per_day=100_000.0, hourly_cycle=DIURNAL, day=0)
    fractions = times - np.floor(times)
    assert stats.kstest(fractions, "uniform").pvalue > 1e-3


def test_times_are_sorted_and_inside_the_day():
    rng = np.random.default_rng(14)
    for day in (0, 1, 29, 365):
        times = upload_hours(rng, per_day=50_000.0, hourly_cycle=DIURNAL, day=day)
        assert times.dtype == np.float64
        assert np.all(np.diff(times) >= 0)
        assert times.min() >= 24 * day
        assert times.max() < 24 * day + 24


def test_same_seed_gives_the_same_times_and_another_seed_does_not():
    def draw(seed: int) -> np.ndarray:
        return upload_hours(np.random.default_rng(seed), per_day=5_000.0, hourly_cycle=FLAT, day=2)

    assert np.array_equal(draw(7), draw(7))
    assert not np.array_equal(draw(7), draw(8))


def test_no_uploads_when_per_day_is_zero():
    times = upload_hours(np.random.default_rng(0), per_day=0.0, hourly_cycle=FLAT, day=0)
    assert times.shape == (0,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"per_day": -1.0, "hourly_cycle": FLAT, "day": 0}, "per_day"),
        ({"per_day": float("nan"), "hourly_cycle": FLAT, "day": 0}, "per_day"),
        ({"per_day": 10.0, "hourly_cycle": FLAT[:23], "day": 0}, "shape"),
        ({"per_day": 10.0, "hourly_cycle": FLAT * 2, "day": 0}, "sum to 1"),
        ({"per_day": 10.0, "hourly_cycle": -FLAT, "day": 0}, ">= 0"),
        ({"per_day": 10.0, "hourly_cycle": FLAT, "day": -1}, "day"),
        ({"per_day": 10.0, "hourly_cycle": FLAT, "day": 1.5}, "day"),
    ],
)
def test_refuses_invalid_input(kwargs: dict, message: str):
    with pytest.raises(ValueError, match=message):
        upload_hours(np.random.default_rng(0), **kwargs)
