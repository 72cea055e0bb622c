"""The uploaded population and detector scores: shares, class structure, scores, determinism,
common random numbers, refused inputs, and a million items through the per-item functions."""

from __future__ import annotations

import time

import numpy as np
import pytest

from deepscreen.simulate.engagement import draw_engagement, views_outcome
from deepscreen.simulate.population import Population, draw_items, draw_scores

SHARES = {
    "category_shares": [0.5, 0.3, 0.2, 0.0],
    "ai_shares": [0.05, 0.2, 0.6, 0.9],
    "violating_shares_of_ai": [0.1, 0.3, 0.05, 1.0],
    "declared_shares_of_ai": [0.4, 0.1, 0.7, 0.5],
}
N = 1_000_000


def population(seed: int = 0, n: int = N, **change: list[float]) -> Population:
    hours = np.sort(np.random.default_rng(99).random(n) * 24)
    return draw_items(np.random.default_rng(seed), upload_hours=hours, **{**SHARES, **change})


def assert_share(hits: np.ndarray, p: float) -> None:
    """The share of True in ``hits`` is within 5 binomial standard errors of ``p``."""
    n = hits.size
    standard_error = max(np.sqrt(p * (1 - p) / n), 1 / n)
    assert abs(hits.mean() - p) < 5 * standard_error, (hits.mean(), p, n)


def test_shares_by_category_ai_violating_and_declared_match_the_inputs():
    pop = population()
    assert len(pop) == N
    for k, share in enumerate(SHARES["category_shares"]):
        in_k = pop.category == k
        assert_share(in_k, share)
        if share == 0:
            assert not in_k.any()
            continue
        assert_share(pop.ai[in_k], SHARES["ai_shares"][k])
        ai_in_k = in_k & pop.ai
        assert_share(pop.violating[ai_in_k], SHARES["violating_shares_of_ai"][k])
        assert_share(pop.declared[ai_in_k], SHARES["declared_shares_of_ai"][k])


def test_only_ai_items_violate_or_are_declared():
    pop = population(n=200_000)
    assert not np.any(pop.violating & ~pop.ai)
    assert not np.any(pop.declared & ~pop.ai)
    assert pop.violating.any() and pop.declared.any()


def test_items_keep_upload_hours_and_have_typed_arrays():
    hours = np.array([0.5, 1.5, 30.0])
    pop = draw_items(np.random.default_rng(0), upload_hours=hours, **SHARES)
    assert np.array_equal(pop.upload_hours, hours)
    assert pop.category.dtype == np.int64
    assert pop.ai.dtype == pop.violating.dtype == pop.declared.dtype == np.bool_
    assert set(pop.category.tolist()) <= {0, 1, 2}


def test_same_seed_gives_the_same_items():
    a, b, c = population(seed=1, n=10_000), population(seed=1, n=10_000), population(seed=2)
    for name in ("category", "ai", "violating", "declared"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.category, c.category[:10_000])


def test_raising_the_violating_share_only_adds_violating_items():
    low = population(seed=4, n=100_000)
    high = population(seed=4, n=100_000, violating_shares_of_ai=[0.2, 0.6, 0.1, 1.0])
    assert np.array_equal(low.ai, high.ai)
    assert np.array_equal(low.declared, high.declared)
    assert not np.any(low.violating & ~high.violating)
    assert high.violating.sum() > low.violating.sum()


def test_no_items_when_there_are_no_uploads():
    pop = draw_items(np.random.default_rng(0), upload_hours=np.empty(0), **SHARES)
    assert len(pop) == 0 and pop.category.shape == (0,)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"category_shares": [0.5, 0.3, 0.1, 0.0]}, "sum to 1"),
        ({"ai_shares": [0.1, 0.2, 0.3]}, "ai_shares"),
        ({"violating_shares_of_ai": [0.1, 1.2, 0.0, 0.0]}, "violating_shares_of_ai"),
        ({"declared_shares_of_ai": [0.1, float("nan"), 0.0, 0.0]}, "declared_shares_of_ai"),
        ({"category_shares": [1.2, -0.2, 0.0, 0.0]}, "category_shares"),
    ],
)
def test_draw_items_refuses_invalid_shares(change: dict, message: str):
    with pytest.raises(ValueError, match=message):
        draw_items(np.random.default_rng(0), upload_hours=np.zeros(3), **{**SHARES, **change})


def test_scores_lie_in_unit_interval_with_beta_means_by_class():
    rng = np.random.default_rng(8)
    violating = rng.random(N) < 0.1
    scores = draw_scores(rng, violating, violating_beta=(8.0, 2.0), benign_beta=(1.0, 12.0))
    assert scores.shape == (N,) and scores.dtype == np.float64
    assert np.all((scores >= 0) & (scores <= 1))
    for mask, (a, b) in ((violating, (8.0, 2.0)), (~violating, (1.0, 12.0))):
        mean = a / (a + b)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        assert abs(scores[mask].mean() - mean) < 5 * sd / np.sqrt(mask.sum())
        assert scores[mask].std() == pytest.approx(sd, rel=0.02)


def test_same_seed_gives_the_same_scores():
    violating = np.arange(1_000) % 7 == 0

    def draw(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return draw_scores(rng, violating, violating_beta=(5, 1), benign_beta=(1, 5))

    assert np.array_equal(draw(3), draw(3))
    assert not np.array_equal(draw(3), draw(4))


@pytest.mark.parametrize(
    ("violating", "kwargs", "message"),
    [
        (np.zeros(3), {"violating_beta": (1, 1), "benign_beta": (1, 1)}, "bool"),
        (np.zeros(3, bool), {"violating_beta": (0, 1), "benign_beta": (1, 1)}, "violating_beta"),
        (np.zeros(3, bool), {"violating_beta": (1, 1), "benign_beta": (1, np.inf)}, "benign_beta"),
    ],
)
def test_draw_scores_refuses_invalid_input(violating: np.ndarray, kwargs: dict, message: str):
    with pytest.raises(ValueError, match=message):
        draw_scores(np.random.default_rng(0), violating, **kwargs)


def test_a_million_items_flow_through_items_scores_engagement_and_outcome():
    """Smoke check at the simulator's daily scale; the wall-clock time is printed, not asserted."""
    rng = np.random.default_rng(2025)
    hours = np.sort(rng.random(N) * 24)
    start = time.perf_counter()
    pop = draw_items(rng, upload_hours=hours, **SHARES)
    scores = draw_scores(rng, pop.violating, violating_beta=(8.0, 2.0), benign_beta=(1.0, 12.0))
    engagement = draw_engagement(
        rng,
        N,
        violating=pop.violating,
        views_median=50.0,
        views_sigma=2.0,
        violating_views_multiplier=3.0,
        half_views_hours_median=6.0,
        half_views_sigma=1.0,
    )
    action = np.where(scores > 0.9, 0.5, np.inf)
    outcome = views_outcome(engagement, action, np.where(pop.violating, 1.0, 0.3))
    elapsed = time.perf_counter() - start
    print(f"1,000,000 items: items+scores+engagement+outcome in {elapsed:.3f} s")
    assert outcome.realised.shape == (N,)
    assert np.all(np.isfinite(outcome.realised))
