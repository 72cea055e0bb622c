"""The simulator's fast paths against the direct computations they replace: category lookup vs
search, views outcome with the never-acted shortcut vs the plain closed form, item-table
timestamps vs datetime arithmetic, asynchronous decisions only where used vs for all items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from deepscreen.bootstrap import default_policy_dir
from deepscreen.policy.bundle import load_bundle
from deepscreen.simulate import batch, item_table, run
from deepscreen.simulate.engagement import Engagement, stopped_before_viral, views_outcome
from deepscreen.simulate.policy_bridge import PolicyBridge
from deepscreen.simulate.population import _categories
from deepscreen.simulate.scenario import load_scenario

SIGNALS = ["c2pa", "hashmatch", "metadata", "watermark"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_category_lookup_equals_a_search(weights: list[int], seed: int) -> None:
    shares = np.asarray(weights, dtype=np.float64) + (1e-9 if sum(weights) == 0 else 0.0)
    cumulative = np.cumsum(shares) / shares.sum()
    cumulative[-1] = 1.0
    rng = np.random.default_rng(seed)
    edges = np.concatenate([cumulative, np.nextafter(cumulative, 0), np.arange(0, 1, 2**-16)])
    uniforms = np.concatenate([rng.random(5000), edges[(edges >= 0) & (edges < 1)]])
    expected = np.searchsorted(cumulative, uniforms, side="right").astype(np.int64)
    np.testing.assert_array_equal(_categories(cumulative, uniforms), expected)


def plain_outcome(engagement: Engagement, hours: Any, damping: Any) -> dict[str, np.ndarray]:
    """views_outcome as the closed form reads, Φ evaluated everywhere."""
    hours = np.asarray(hours, dtype=np.float64)
    with np.errstate(divide="ignore"):
        z = np.log(np.maximum(hours, 0.0) / engagement.t_half) / engagement.half_sigma
    before = engagement.total * ndtr(z)
    remaining = engagement.total * ndtr(-z)
    prevented = remaining * np.asarray(damping, dtype=np.float64)
    after = remaining - prevented
    realised = np.minimum(before + after, engagement.total)
    np.copyto(realised, engagement.total, where=prevented == 0)
    return {"before": before, "after": after, "prevented": prevented, "realised": realised}


@pytest.mark.parametrize("case", ["mixed", "all finite", "never", "scalar", "scalar never"])
def test_views_outcome_equals_the_plain_closed_form(case: str) -> None:
    rng = np.random.default_rng(4)
    n = 4000
    engagement = Engagement(np.exp(rng.normal(4, 2, n)), np.exp(rng.normal(1, 1, n)), 1.3)
    hours: Any = {
        "mixed": np.where(rng.random(n) < 0.7, np.inf, rng.choice([0.0, -1.0, 2.5, 1e-9], n)),
        "all finite": rng.exponential(3.0, n),
        "never": np.full(n, np.inf),
        "scalar": 4.0,
        "scalar never": np.inf,
    }[case]
    damping = rng.choice([0.0, 0.3, 1.0], n)
    got = views_outcome(engagement, hours, damping)
    for name, expected in plain_outcome(engagement, hours, damping).items():
        np.testing.assert_array_equal(getattr(got, name), expected, err_msg=name)
    threshold = float(np.median(engagement.total))
    stopped = stopped_before_viral(engagement, threshold, hours, damping)
    np.testing.assert_array_equal(
        stopped, (engagement.total > threshold) & (got.realised <= threshold)
    )


def random_batch(n: int, seed: int) -> batch.Batch:
    rng = np.random.default_rng(seed)
    enforced = rng.random(n) < 0.3
    appealed = enforced & (rng.random(n) < 0.2)
    return {
        "id": rng.permutation(n).astype(np.int64),
        "upload": rng.uniform(0, 24 * 30, n),
        "category": rng.integers(0, 8, n).astype(np.int16),
        "violating": rng.random(n) < 0.2,
        "score": rng.random(n),
        "action": rng.integers(0, 6, n).astype(np.int8),
        "rule": rng.integers(0, 3, n).astype(np.int32),
        "decided_after": rng.choice([0.0001, 0.01], n),
        "reviewed_after": np.where(rng.random(n) < 0.1, rng.exponential(8.0, n), np.inf),
        "enforced": enforced,
        "automated": enforced & (rng.random(n) < 0.8),
        "enforced_action": np.where(enforced, rng.integers(1, 5, n), -1).astype(np.int8),
        "action_after": np.where(enforced, rng.exponential(2.0, n), np.inf),
        "appealed": appealed,
        "overturned": appealed & (rng.random(n) < 0.5),
        "before": rng.exponential(100.0, n),
        "realised": rng.exponential(300.0, n),
    }


def test_item_table_timestamps_equal_datetime_arithmetic() -> None:
    scenario = load_scenario("small")
    c = random_batch(3000, seed=8)
    items = item_table._item_table(scenario, c, "r-1", (None, "a", "b"))
    start = np.datetime64(batch.START.replace(tzinfo=None), "us")

    def expected(hours: np.ndarray, mask: np.ndarray | None = None) -> list[Any]:
        finite = np.isfinite(hours) if mask is None else mask & np.isfinite(hours)
        values = start + (np.where(finite, hours, 0) * 3_600_000_000).astype("timedelta64[us]")
        return pa.array(values, items.schema.field("ingested_at").type, mask=~finite).to_pylist()

    upload, after = c["upload"], c["action_after"]
    reviewed = np.isfinite(c["reviewed_after"])
    assert items.column("ingested_at").to_pylist() == expected(upload)
    assert items.column("decided_at").to_pylist() == expected(upload + c["decided_after"])
    assert items.column("detected_at").to_pylist() == expected(upload + c["decided_after"])
    assert items.column("reviewed_at").to_pylist() == expected(
        upload + c["reviewed_after"], reviewed
    )
    assert items.column("enforced_at").to_pylist() == expected(upload + after, c["enforced"])
    received, decided = upload + after + 24.0, upload + after + 48.0
    assert items.column("appeal_received_at").to_pylist() == expected(received, c["appealed"])
    assert items.column("appeal_decided_at").to_pylist() == expected(decided, c["appealed"])


def test_item_table_strings_equal_picking_codes() -> None:
    c = random_batch(3000, seed=6)
    items = item_table._item_table(load_scenario("small"), c, "r-1", (None, "a", "b"))
    n, reviewed = c["upload"].shape[0], np.isfinite(c["reviewed_after"])
    remove = np.full(n, batch.ACTIONS.index(batch.REVIEW_ACTION))
    expected = item_table._pick(batch.ACTIONS, remove, reviewed & c["violating"])
    assert items.column("review_action").to_pylist() == expected.to_pylist()
    expected = item_table._pick(["import", "review"], reviewed)
    assert items.column("label_source").to_pylist() == expected.to_pylist()


@pytest.mark.parametrize("share", [0.0, 0.01, 0.6, 1.0])
def test_without_then_equals_concatenating_the_rows_kept(share: float) -> None:
    first, second = random_batch(500, seed=1), random_batch(40, seed=2)
    dropped = np.random.default_rng(3).random(500) < share
    got = batch._without_then(first, np.flatnonzero(dropped), second)
    expected = batch._concat({name: values[~dropped] for name, values in first.items()}, second)
    assert list(got) == list(expected)
    for name in expected:
        assert got[name].dtype == expected[name].dtype
        np.testing.assert_array_equal(got[name], expected[name], err_msg=name)


def test_asynchronous_decisions_only_where_used_are_those_for_every_item() -> None:
    scenario = load_scenario("small").with_overrides({"uploads.per_day": 20_000})
    bundle = load_bundle(default_policy_dir(), known_signals=SIGNALS)
    bridge = PolicyBridge(bundle, scenario.category_names, signal_names=SIGNALS)
    day = run._simulate_day(scenario, bridge, 5, 0)
    # the reference: both decisions for every item, the synchronous one where it acts
    reference = PolicyBridge(bundle, scenario.category_names, signal_names=SIGNALS)
    category = day["category"].astype(np.int64)
    rng = np.random.default_rng([5, 0])
    hours = run.upload_hours(
        rng,
        per_day=scenario.uploads.per_day,
        hourly_cycle=np.asarray(scenario.uploads.hourly_cycle),
        day=0,
    )
    population = run.draw_items(
        rng,
        upload_hours=hours,
        category_shares=[c.share for c in scenario.categories],
        ai_shares=[c.ai_share for c in scenario.categories],
        violating_shares_of_ai=[c.violating_share_of_ai for c in scenario.categories],
        declared_shares_of_ai=[c.declared_share_of_ai for c in scenario.categories],
    )
    np.testing.assert_array_equal(population.category, category)
    sync = reference.decide(category, population.declared, None)
    later = reference.decide(category, population.declared, day["score"])
    use_sync = sync.action != batch._ALLOW
    assert use_sync.any() and not use_sync.all()  # both kinds of decision occur
    np.testing.assert_array_equal(day["action"], np.where(use_sync, sync.action, later.action))
    names = np.asarray(bridge.rules, dtype=object)[day["rule"]]
    expected = np.asarray(reference.rules, dtype=object)[np.where(use_sync, sync.rule, later.rule)]
    assert names.tolist() == expected.tolist()
