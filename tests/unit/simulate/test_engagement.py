"""The lognormal-peak engagement model: known answers, invariants, viral crossings, Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepscreen.simulate.engagement import (
    Engagement,
    draw_engagement,
    fraction_by,
    stopped_before_viral,
    views_outcome,
    viral_crossing_hours,
)

PARAMS = {
    "views_median": 50.0,
    "views_sigma": 2.0,
    "violating_views_multiplier": 3.0,
    "half_views_hours_median": 6.0,
    "half_views_sigma": 1.0,
}
PHI_1 = 0.8413447460685429  # Φ(1)


def drawn(n: int = 2_000, seed: int = 0, violating_share: float = 0.1) -> Engagement:
    rng = np.random.default_rng(seed)
    violating = rng.random(n) < violating_share
    return draw_engagement(rng, n, violating=violating, **PARAMS)


def by_hand(total: list[float], t_half: list[float], half_sigma: float = 1.0) -> Engagement:
    return Engagement(total=np.array(total), t_half=np.array(t_half), half_sigma=half_sigma)


def test_fraction_is_exactly_half_at_the_time_to_half_views():
    engagement = drawn()
    assert np.all(fraction_by(engagement, engagement.t_half) == 0.5)


def test_fraction_follows_the_normal_cdf_of_log_time():
    engagement = by_hand([100.0, 100.0], [2.0, 10.0], half_sigma=0.5)
    hours = np.array([2.0 * math.exp(0.5), 10.0 * math.exp(-0.5)])
    assert fraction_by(engagement, hours) == pytest.approx([PHI_1, 1 - PHI_1], rel=1e-12)


def test_fraction_is_zero_before_upload_and_one_at_infinity():
    engagement = drawn()
    assert np.all(fraction_by(engagement, 0.0) == 0.0)
    assert np.all(fraction_by(engagement, -3.0) == 0.0)
    assert np.all(fraction_by(engagement, np.inf) == 1.0)


def test_zero_views_when_detection_is_instant_and_perfect_with_removal():
    engagement = drawn()
    outcome = views_outcome(engagement, 0.0, 1.0)
    assert np.all(outcome.before == 0.0)
    assert np.all(outcome.after == 0.0)
    assert np.all(outcome.realised == 0.0)
    assert np.array_equal(outcome.prevented, engagement.total)


def test_all_views_are_before_action_when_never_acted():
    engagement = drawn()
    outcome = views_outcome(engagement, np.inf, 1.0)
    assert np.array_equal(outcome.before, engagement.total)
    assert np.all(outcome.after == 0.0)
    assert np.all(outcome.prevented == 0.0)
    assert np.array_equal(outcome.realised, engagement.total)


@given(action=st.floats(min_value=-10.0, max_value=1e6) | st.just(math.inf))
def test_realised_views_are_total_when_damping_is_zero(action: float):
    engagement = drawn(n=200)
    outcome = views_outcome(engagement, action, 0.0)
    assert np.array_equal(outcome.realised, engagement.total)
    assert np.all(outcome.prevented == 0.0)


def test_views_split_by_hand_when_acting_at_the_time_to_half_views():
    engagement = by_hand([1_000.0, 400.0], [10.0, 10.0])
    outcome = views_outcome(engagement, np.array([10.0, 10.0]), np.array([1.0, 0.25]))
    assert outcome.before == pytest.approx([500.0, 200.0])
    assert outcome.after == pytest.approx([0.0, 150.0])
    assert outcome.prevented == pytest.approx([500.0, 50.0])
    assert outcome.realised == pytest.approx([500.0, 350.0])


@given(
    action=st.floats(min_value=0.0, max_value=1e5),
    shrink=st.floats(min_value=0.0, max_value=1.0),
    damping=st.floats(min_value=0.0, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_earlier_action_never_increases_views_before_action(
    action: float, shrink: float, damping: float, seed: int
):
    engagement = drawn(n=100, seed=seed)
    later = views_outcome(engagement, action, damping)
    earlier = views_outcome(engagement, action * shrink, damping)
    halved = views_outcome(engagement, action / 2, damping)  # halving latency
    # log and Φ are not guaranteed monotone to the last ulp between nearly equal times.
    assert np.all(earlier.before <= later.before * (1 + 1e-12))
    assert np.all(halved.before <= later.before)
    for outcome in (later, earlier, halved):
        assert np.all(outcome.realised <= engagement.total)
        assert np.all(outcome.before >= 0) and np.all(outcome.after >= 0)
        np.testing.assert_allclose(outcome.before + outcome.after, outcome.realised, rtol=1e-12)
        np.testing.assert_allclose(
            outcome.realised + outcome.prevented, engagement.total, rtol=1e-12
        )


@given(damping=st.floats(min_value=0.0, max_value=1.0), more=st.floats(0.0, 1.0))
def test_more_damping_never_increases_realised_views(damping: float, more: float):
    engagement = drawn(n=100)
    action = np.linspace(0.0, 48.0, 100)
    weaker = views_outcome(engagement, action, damping)
    stronger = views_outcome(engagement, action, min(1.0, damping + (1 - damping) * more))
    assert np.all(stronger.realised <= weaker.realised)


def test_viral_crossing_inverts_the_view_curve():
    engagement = drawn(n=20_000)
    threshold = 1_000.0
    crossing = viral_crossing_hours(engagement, threshold)
    viral = engagement.total > threshold
    assert viral.any() and (~viral).any()
    assert np.all(np.isinf(crossing[~viral]))
    assert np.all(np.isfinite(crossing[viral]) & (crossing[viral] > 0))
    np.testing.assert_allclose(
        fraction_by(engagement, crossing)[viral] * engagement.total[viral], threshold, rtol=1e-9
    )


def test_viral_crossing_at_time_to_half_views_when_threshold_is_half_the_total():
    engagement = by_hand([1_000.0, 1_000.0, 10.0], [3.0, 30.0, 3.0])
    crossing = viral_crossing_hours(engagement, 500.0)
    assert crossing[:2] == pytest.approx([3.0, 30.0], rel=1e-12)
    assert crossing[2] == np.inf
    assert np.all(viral_crossing_hours(engagement, 0.0) == 0.0)


def test_stopped_before_viral_by_hand():
    # Threshold 500; t_half 10 h so that F(10) = 0.5 exactly.
    engagement = by_hand([100.0, 1_000.0, 1_000.0, 1_000.0, 1_000.0, 1_000.0, 1_000.0], [10.0] * 7)
    action = np.array([0.0, 0.0, 10.0, 20.0, 0.0, 0.0, np.inf])
    damping = np.array([1.0, 1.0, 1.0, 1.0, 0.5, 0.4, 1.0])
    stopped = stopped_before_viral(engagement, 500.0, action, damping)
    assert stopped.tolist() == [
        False,  # never viral: 100 views ≤ 500
        True,  # removed at upload: 0 views
        True,  # removed at t_half: exactly 500 views, not above the threshold
        False,  # removed after the crossing: more than 500 views before action
        True,  # halved from upload: 500 views
        False,  # damped by 40% from upload: 600 views
        False,  # never acted: 1,000 views
    ]


def test_violating_view_share_equals_the_base_rate_when_no_moderation_and_no_multiplier():
    n, base_rate, sigma = 1_000_000, 0.05, PARAMS["views_sigma"]
    rng = np.random.default_rng(2024)
    violating = rng.random(n) < base_rate
    engagement = draw_engagement(
        rng, n, violating=violating, **{**PARAMS, "violating_views_multiplier": 1.0}
    )
    realised = views_outcome(engagement, np.inf, 0.0).realised
    view_share = realised[violating].sum() / realised.sum()
    item_share = violating.mean()
    # Ratio of sums of lognormals: relative variance of one item's views is exp(σ²) − 1.
    standard_error = math.sqrt(item_share * (1 - item_share) * math.exp(sigma**2) / n)
    assert abs(view_share - item_share) < 5 * standard_error


def test_violating_items_get_the_multiplier_on_median_views():
    n = 400_000
    rng = np.random.default_rng(5)
    violating = rng.random(n) < 0.5
    engagement = draw_engagement(rng, n, violating=violating, **PARAMS)
    benign_median = np.median(engagement.total[~violating])
    violating_median = np.median(engagement.total[violating])
    assert benign_median == pytest.approx(PARAMS["views_median"], rel=0.03)
    assert violating_median == pytest.approx(3.0 * PARAMS["views_median"], rel=0.03)
    assert np.median(engagement.t_half) == pytest.approx(6.0, rel=0.02)
    assert np.std(np.log(engagement.t_half)) == pytest.approx(1.0, rel=0.01)
    assert engagement.half_sigma == 1.0  # defaults to half_views_sigma


def test_curve_sigma_sets_the_width_of_the_peak():
    rng = np.random.default_rng(0)
    engagement = draw_engagement(rng, 10, violating=np.zeros(10, bool), **PARAMS, curve_sigma=0.3)
    assert engagement.half_sigma == 0.3
    assert fraction_by(engagement, engagement.t_half * math.exp(0.3)) == pytest.approx(PHI_1)


def test_same_seed_gives_the_same_engagement():
    a, b = drawn(seed=3), drawn(seed=3)
    assert np.array_equal(a.total, b.total) and np.array_equal(a.t_half, b.t_half)
    assert not np.array_equal(a.total, drawn(seed=4).total)


def test_drawn_arrays_are_read_only():
    engagement = drawn(n=10)
    with pytest.raises(ValueError):
        engagement.total[0] = 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"views_median": 0.0}, "views_median"),
        ({"violating_views_multiplier": -1.0}, "violating_views_multiplier"),
        ({"views_sigma": -0.1}, "views_sigma"),
        ({"half_views_hours_median": math.inf}, "half_views_hours_median"),
        ({"half_views_sigma": 0.0}, "half_views_sigma"),
        ({"curve_sigma": 0.0}, "curve_sigma"),
    ],
)
def test_draw_refuses_invalid_parameters(change: dict, message: str):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=message):
        draw_engagement(rng, 3, violating=np.zeros(3, bool), **{**PARAMS, **change})


def test_draw_refuses_violating_of_the_wrong_shape_or_type():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="violating"):
        draw_engagement(rng, 3, violating=np.zeros(4, bool), **PARAMS)
    with pytest.raises(ValueError, match="violating"):
        draw_engagement(rng, 3, violating=np.zeros(3), **PARAMS)


def test_outcome_refuses_damping_outside_unit_interval_and_nan_hours():
    engagement = drawn(n=3)
    with pytest.raises(ValueError, match="damping"):
        views_outcome(engagement, 1.0, 1.5)
    with pytest.raises(ValueError, match="damping"):
        views_outcome(engagement, 1.0, math.nan)
    with pytest.raises(ValueError, match="NaN"):
        views_outcome(engagement, np.array([1.0, math.nan, 2.0]), 1.0)
