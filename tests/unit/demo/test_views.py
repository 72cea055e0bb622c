"""The demo's views windows and user reports: counts add up, stop at removal, and a report comes
with the view that brings it — sooner for viral items."""

from __future__ import annotations

import numpy as np
import pytest

from deepscreen.demo.reports import NEVER, report_after_views
from deepscreen.service.demo_views import ViewCounter, cumulative_views, report_hours
from deepscreen.simulate.engagement import Engagement


def engagement(total: list[float], t_half: list[float], sigma: float = 1.0) -> Engagement:
    return Engagement(np.asarray(total, float), np.asarray(t_half, float), sigma)


def test_cumulative_views_round_the_curve_and_are_zero_before_upload():
    e = engagement([100.0, 7.0], [10.0, 10.0])
    assert cumulative_views(e, np.asarray([10.0, 10.0])).tolist() == [50, 4]  # half at t_half
    assert cumulative_views(e, np.asarray([-5.0, 0.0])).tolist() == [0, 0]
    assert cumulative_views(e, np.inf).tolist() == [100, 7]


def test_daily_windows_add_up_to_the_rounded_curve_and_decay_after_the_peak():
    e = engagement([1000.0], [12.0])
    counter = ViewCounter(np.asarray([6.0]), e)  # uploaded at 06:00 on day 0
    windows = [int(counter.close(24.0 * d)[0]) for d in range(1, 15)]
    assert sum(windows) == cumulative_views(e, 24.0 * 14 - 6.0)[0]
    assert windows[0] > 0 and windows[0] + windows[1] > 500  # half within ~12 h of upload
    tail = windows[2:]  # then a decaying tail (up to the rounding of whole views)
    assert all(b <= a + 1 for a, b in zip(tail, tail[1:], strict=False)) and tail[0] > 5 * tail[-1]
    assert counter.counted[0] == sum(windows)


def test_no_views_before_upload():
    counter = ViewCounter(np.asarray([30.0]), engagement([500.0], [5.0]))
    assert counter.close(24.0).tolist() == [0]
    assert counter.close(48.0)[0] > 0


def test_a_removal_stops_the_views_of_that_item_only():
    e = engagement([1000.0, 1000.0], [24.0, 24.0])
    counter = ViewCounter(np.asarray([0.0, 0.0]), e)
    stop = np.asarray([30.0, np.inf])  # item 0 removed at 30 h
    first = counter.close(24.0, stop)
    second = counter.close(48.0, stop)
    later = counter.close(24.0 * 20, stop)
    assert first[0] == first[1]  # the same until the removal
    assert first[0] + second[0] == cumulative_views(e, 30.0)[0]  # up to the removal...
    assert later[0] == 0 and later[1] > 0  # ...and nothing after it


def test_report_after_views_is_geometric_in_the_per_view_rate():
    rng = np.random.default_rng(1)
    n = 20_000
    after = report_after_views(rng, np.full(n, 0.01), np.full(n, 1e9))
    assert after.min() >= 1
    assert after.mean() == pytest.approx(100, rel=0.03)  # mean of Geometric(p) = 1/p


def test_no_rate_means_no_report_and_certain_rate_means_the_first_view():
    rng = np.random.default_rng(2)
    after = report_after_views(rng, np.asarray([0.0, 1.0, 1.0]), np.asarray([50.0, 50.0, 0.0]))
    assert after.tolist() == [NEVER, 1, NEVER]  # no views, no report


def test_an_item_is_reported_only_if_it_gets_that_many_views():
    rng = np.random.default_rng(3)
    rates = np.full(10_000, 0.01)
    few = report_after_views(rng, rates, np.full(10_000, 10.0))
    assert set(few[few != NEVER].tolist()) <= set(range(1, 11))
    assert (few != NEVER).mean() == pytest.approx(1 - 0.99**10, abs=0.015)


def test_report_hours_are_when_the_counted_views_reach_the_reporting_view():
    e = engagement([200.0, 200.0, 200.0, 5.0], [10.0, 10.0, 40.0, 10.0])
    after = np.asarray([20, 100, 20, NEVER])
    hours = report_hours(e, after)
    assert np.isinf(hours[3])
    assert hours[0] < hours[1]  # the 100th view comes after the 20th
    assert hours[0] < hours[2]  # a faster item gets there sooner
    reached = cumulative_views(e, hours + 1e-6)[:3]
    before = cumulative_views(e, hours - 1e-3)[:3]
    assert reached.tolist() == [20, 100, 20]
    assert (before < after[:3]).all()


def test_a_view_beyond_the_lifetime_views_never_comes():
    e = engagement([10.0], [5.0])
    assert np.isinf(report_hours(e, np.asarray([11]))[0])
    assert np.isfinite(report_hours(e, np.asarray([10]))[0])
