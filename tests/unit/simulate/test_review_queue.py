"""Review queue: hand cases, the credit rule, FIFO vs priority, the linear-backlog known answer,
conservation, monotonicity in capacity (hypothesis) and the horizon."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepscreen.simulate.review_queue import (
    QueueResult,
    ReviewQueue,
    capacity_per_hour,
    simulate_queue,
)


def completion_hours(result: QueueResult) -> list[int]:
    """The hour in which each item completed (its completion lies in ``(h, h + 1]``)."""
    return [int(np.ceil(t)) - 1 for t in result.completed_at]


# --- capacity ---------------------------------------------------------------------------


def test_capacity_per_hour_follows_hour_of_day() -> None:
    cap = capacity_per_hour(
        hours=50, reviewers=3, items_per_reviewer_hour=2.5, staffed_hours=[9, 10]
    )
    assert cap.shape == (50,)
    assert cap.dtype == np.float64
    assert set(np.flatnonzero(cap).tolist()) == {9, 10, 33, 34}
    assert cap[9] == pytest.approx(7.5)
    assert cap.sum() == pytest.approx(4 * 7.5)


def test_capacity_per_hour_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="hours of day"):
        capacity_per_hour(hours=24, reviewers=1, items_per_reviewer_hour=1, staffed_hours=[24])
    with pytest.raises(ValueError, match="reviewers"):
        capacity_per_hour(hours=24, reviewers=-1, items_per_reviewer_hour=1, staffed_hours=[1])
    with pytest.raises(ValueError, match="items_per_reviewer_hour"):
        capacity_per_hour(
            hours=24, reviewers=1, items_per_reviewer_hour=float("nan"), staffed_hours=[1]
        )


# --- hand cases -------------------------------------------------------------------------


def test_three_arrivals_one_per_hour() -> None:
    result = simulate_queue(np.zeros(3), np.ones(5))
    np.testing.assert_allclose(result.completed_at, [1.0, 2.0, 3.0])
    assert completion_hours(result) == [0, 1, 2]
    assert result.served.tolist() == [1, 1, 1, 0, 0]
    assert result.backlog.tolist() == [2, 1, 0, 0, 0]
    np.testing.assert_allclose(result.waiting_hours, [1.0, 2.0, 3.0])


def test_completions_spread_over_the_hour_after_arrival_and_previous_completion() -> None:
    # Hour 0 serves three items: two waiting from the start, one arriving at 0.7.
    result = simulate_queue(np.array([0.0, 0.0, 0.7]), np.array([3.0]))
    # k=0: start 0, 3 left -> 1/3; k=1: start 1/3, 2 left -> 2/3; k=2: start 0.7, 1 left -> 1.
    np.testing.assert_allclose(result.completed_at, [1 / 3, 2 / 3, 1.0])
    # Two late arrivals: the rest of the hour after 0.8 is split between them.
    late = simulate_queue(np.array([0.8, 0.8]), np.array([5.0]))
    np.testing.assert_allclose(late.completed_at, [0.9, 1.0])
    # An arrival binding mid-block, followed by an item that started before it.
    mixed = simulate_queue(np.array([0.0, 0.9, 0.2]), np.array([3.0]), priority=np.array([3, 2, 1]))
    # k=0: 0 -> 1/3; k=1: start 0.9, 2 left -> 0.95; k=2: start 0.95 -> 1.
    np.testing.assert_allclose(mixed.completed_at, [1 / 3, 0.95, 1.0])


def test_unstaffed_night_hours_delay_service() -> None:
    cap = capacity_per_hour(hours=48, reviewers=1, items_per_reviewer_hour=2, staffed_hours=[9])
    result = simulate_queue(np.array([1.5, 20.0, 30.0]), cap)
    # Arrivals at 01:30 and 20:00 wait for the 09:00 shift; 30.0 is 06:00 next day.
    assert completion_hours(result) == [9, 33, 33]
    np.testing.assert_allclose(result.completed_at, [10.0, 33.5, 34.0])
    assert result.backlog[8] == 1
    assert result.backlog[9] == 0
    assert result.backlog[32] == 2


def test_fractional_capacity_carries_over_as_credit() -> None:
    half = simulate_queue(np.zeros(3), np.full(8, 0.5))
    assert half.served.tolist() == [0, 1, 0, 1, 0, 1, 0, 0]
    np.testing.assert_allclose(half.completed_at, [2.0, 4.0, 6.0])
    tenth = simulate_queue(np.zeros(2), np.full(25, 0.1))
    assert np.flatnonzero(tenth.served).tolist() == [9, 19]  # ten tenths make one item
    mixed = simulate_queue(np.zeros(10), np.full(4, 1.5))
    assert mixed.served.tolist() == [1, 2, 1, 2]


def test_idle_capacity_is_not_banked() -> None:
    # The queue is empty in hours 0-3, so their half-items are forfeited.
    result = simulate_queue(np.array([4.0]), np.full(8, 0.5))
    assert completion_hours(result) == [5]
    # Leftover credit after the queue empties is forfeited too.
    result = simulate_queue(np.array([0.0, 2.0]), np.full(6, 0.75))
    assert result.served.tolist() == [0, 1, 0, 1, 0, 0]


# --- order ------------------------------------------------------------------------------


def test_fifo_versus_priority_order() -> None:
    arrivals = np.array([0.1, 0.2, 0.3, 0.4])
    priority = np.array([1.0, 5.0, 3.0, 5.0])
    fifo = simulate_queue(arrivals, np.ones(4))
    assert completion_hours(fifo) == [0, 1, 2, 3]
    prio = simulate_queue(arrivals, np.ones(4), priority=priority)
    # Highest first; the tie at 5.0 goes to the earlier arrival.
    assert completion_hours(prio) == [3, 0, 2, 1]
    assert prio.backlog.tolist() == fifo.backlog.tolist()
    assert prio.served.tolist() == fifo.served.tolist()


def test_priority_only_among_items_already_arrived() -> None:
    result = simulate_queue(np.array([0.0, 1.5]), np.ones(3), priority=np.array([0.0, 9.0]))
    assert completion_hours(result) == [0, 1]


def test_equal_priorities_reduce_to_fifo() -> None:
    rng = np.random.default_rng(7)
    arrivals = np.round(rng.uniform(0, 48, 500), 1)  # many exact ties
    cap = capacity_per_hour(
        hours=72, reviewers=2, items_per_reviewer_hour=4.5, staffed_hours=range(24)
    )
    fifo = simulate_queue(arrivals, cap)
    same = simulate_queue(arrivals, cap, priority=np.zeros(500))
    np.testing.assert_array_equal(fifo.completed_at, same.completed_at)


# --- known answers and invariants -------------------------------------------------------


def constant_rate_arrivals(rate: int, hours: int) -> np.ndarray:
    """``rate`` arrivals spread evenly inside each hour."""
    offsets = (np.arange(rate) + 0.5) / rate
    return (np.arange(hours)[:, None] + offsets[None, :]).ravel()


def test_backlog_grows_linearly_when_capacity_is_below_arrivals() -> None:
    lam, mu, hours = 10, 7.5, 200
    result = simulate_queue(constant_rate_arrivals(lam, hours), np.full(hours, mu))
    expected = (lam - mu) * (np.arange(hours) + 1)
    assert np.max(np.abs(result.backlog - expected)) < 1.0
    slope = np.polyfit(np.arange(hours), result.backlog, 1)[0]
    assert slope == pytest.approx(lam - mu, abs=0.01)


def test_backlog_bounded_when_capacity_is_above_arrivals() -> None:
    rng = np.random.default_rng(3)
    hours = 500
    arrivals = rng.uniform(0, hours, 10 * hours)  # Poisson-like, 10 per hour
    result = simulate_queue(arrivals, np.full(hours, 13.0))
    assert result.backlog.max() < 40
    assert result.backlog[-100:].mean() < 10


def test_conservation_and_completion_after_arrival() -> None:
    rng = np.random.default_rng(11)
    hours = 96
    arrivals = rng.uniform(0, 120, 3000)
    cap = capacity_per_hour(
        hours=hours, reviewers=4, items_per_reviewer_hour=7.3, staffed_hours=range(7, 22)
    )
    priority = rng.lognormal(size=3000)
    for prio in (None, priority):
        result = simulate_queue(arrivals, cap, priority=prio)
        arrived = int(np.sum(arrivals < hours))
        assert result.served.sum() + result.backlog[-1] == arrived
        done = np.isfinite(result.completed_at)
        assert done.sum() == result.served.sum()
        assert np.all(result.completed_at[done] >= arrivals[done])
        assert np.all(result.completed_at[done] <= np.floor(result.completed_at[done]) + 1)
        np.testing.assert_array_equal(result.waiting_hours, result.completed_at - arrivals)
        hour_of_completion = np.ceil(result.completed_at[done]).astype(int) - 1
        counts = np.bincount(hour_of_completion, minlength=hours)
        np.testing.assert_array_equal(counts, result.served)


def test_items_arriving_after_the_horizon_are_never_served() -> None:
    arrivals = np.array([0.0, 4.99, 5.0, 7.0])
    result = simulate_queue(arrivals, np.full(10, 100.0), horizon_hours=5)
    assert result.backlog.shape == (5,)
    assert np.isfinite(result.completed_at).tolist() == [True, True, False, False]
    assert np.isinf(result.waiting_hours[2:]).all()
    assert result.served.sum() + result.backlog[-1] == 2
    beyond = simulate_queue(np.array([3.0]), np.full(3, 5.0))
    assert beyond.served.sum() == 0
    assert beyond.backlog.tolist() == [0, 0, 0]


def test_result_is_frozen_and_read_only() -> None:
    result = simulate_queue(np.zeros(2), np.ones(2))
    with pytest.raises(AttributeError):
        result.served = np.zeros(2)  # type: ignore[misc]
    with pytest.raises(ValueError):
        result.completed_at[0] = 5.0


def test_empty_inputs() -> None:
    result = simulate_queue(np.empty(0), np.ones(3))
    assert result.completed_at.shape == (0,)
    assert result.backlog.tolist() == [0, 0, 0]
    none = simulate_queue(np.array([0.5]), np.ones(3), horizon_hours=0)
    assert none.backlog.shape == (0,)
    assert np.isinf(none.completed_at).all()


def test_refuses_bad_inputs() -> None:
    with pytest.raises(ValueError, match="arrival_hours"):
        simulate_queue(np.array([-1.0]), np.ones(2))
    with pytest.raises(ValueError, match="arrival_hours"):
        simulate_queue(np.array([np.nan]), np.ones(2))
    with pytest.raises(ValueError, match="capacity"):
        simulate_queue(np.array([1.0]), np.array([-1.0]))
    with pytest.raises(ValueError, match="horizon_hours"):
        simulate_queue(np.array([1.0]), np.ones(2), horizon_hours=3)
    with pytest.raises(ValueError, match="priority"):
        simulate_queue(np.array([1.0]), np.ones(2), priority=np.ones(2))
    with pytest.raises(ValueError, match="priority"):
        simulate_queue(np.array([1.0]), np.ones(2), priority=np.array([np.nan]))


# --- monotonicity in capacity -----------------------------------------------------------

CAPACITY_STEPS = st.sampled_from([0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.3])


@st.composite
def queue_and_more_capacity(
    draw: st.DrawFn,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    hours = draw(st.integers(1, 12))
    n = draw(st.integers(0, 30))
    arrivals = draw(
        st.lists(
            st.one_of(
                st.integers(0, hours + 1).map(float),
                st.floats(0, hours + 1, allow_nan=False, allow_infinity=False),
            ),
            min_size=n,
            max_size=n,
        )
    )
    cap = draw(st.lists(CAPACITY_STEPS, min_size=hours, max_size=hours))
    extra = draw(st.lists(CAPACITY_STEPS, min_size=hours, max_size=hours))
    prio = draw(st.lists(st.integers(0, 3).map(float), min_size=n, max_size=n))
    return np.array(arrivals), np.array(cap), np.array(cap) + np.array(extra), np.array(prio)


@settings(max_examples=300, deadline=None)
@given(queue_and_more_capacity())
def test_more_capacity_never_delays_fifo_and_never_raises_priority_backlog(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    arrivals, cap, more, prio = case
    base, faster = simulate_queue(arrivals, cap), simulate_queue(arrivals, more)
    assert np.all(faster.completed_at <= base.completed_at + 1e-9)
    assert np.all(np.cumsum(faster.served) >= np.cumsum(base.served))
    base_p = simulate_queue(arrivals, cap, priority=prio)
    faster_p = simulate_queue(arrivals, more, priority=prio)
    assert faster_p.backlog[-1] <= base_p.backlog[-1]
    assert np.all(faster_p.backlog <= base_p.backlog)


def _by_day(
    arrivals: np.ndarray, capacity: np.ndarray, priority: np.ndarray | None, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """ReviewQueue fed one span of hours at a time, items added in their span of arrival."""
    queue = ReviewQueue(capacity, prioritised=priority is not None)
    completed = np.full(arrivals.size, np.inf)
    order = np.argsort(np.floor(arrivals / span), kind="stable")
    added: list[int] = []
    for start in range(0, capacity.size, span):
        mine = order[np.floor(arrivals[order] / span) == start // span]
        added.extend(mine.tolist())
        keys, done = queue.advance(
            arrivals[mine], start + span, None if priority is None else priority[mine]
        )
        completed[np.asarray(added, dtype=np.int64)[keys]] = done
    return completed, queue.backlog


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    items=st.integers(0, 300),
    span=st.sampled_from([1, 5, 24]),
    prioritised=st.booleans(),
    rate=st.floats(0.0, 12.0),
)
def test_review_queue_by_span_equals_one_whole_run(
    seed: int, items: int, span: int, prioritised: bool, rate: float
) -> None:
    rng = np.random.default_rng(seed)
    hours = 72
    # arrivals in the span order (the simulator adds a day's items after the earlier days')
    arrivals = rng.uniform(0, hours + 5, items)
    arrivals = np.sort(np.where(rng.random(items) < 0.2, np.floor(arrivals), arrivals))  # ties
    priority = rng.integers(0, 4, items).astype(float) if prioritised else None
    capacity = capacity_per_hour(
        hours=hours, reviewers=3, items_per_reviewer_hour=rate / 3, staffed_hours=range(6, 22)
    )
    whole = simulate_queue(arrivals, capacity, priority=priority)
    completed, backlog = _by_day(arrivals, capacity, priority, span)
    np.testing.assert_array_equal(np.isfinite(completed), np.isfinite(whole.completed_at))
    finite = np.isfinite(completed)
    np.testing.assert_allclose(completed[finite], whole.completed_at[finite], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(backlog, whole.backlog)


def test_review_queue_refuses_misuse() -> None:
    queue = ReviewQueue(np.ones(48), prioritised=False)
    queue.advance(np.array([1.0]), 24)
    with pytest.raises(ValueError, match="at or after hour 24"):
        queue.advance(np.array([3.0]), 48)
    with pytest.raises(ValueError, match="priority exactly"):
        queue.advance(np.array([30.0]), 48, priority=np.array([1.0]))
    with pytest.raises(ValueError, match="before the current hour"):
        queue.advance(np.array([]), 10)
    assert queue.waiting == 0
    with pytest.raises(ValueError, match="capacity"):
        ReviewQueue(np.array([-1.0]), prioritised=True)
