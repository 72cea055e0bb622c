"""The streaming metric table: ``MetricAccumulator`` over any split of the items into batches
equals ``metric_table`` over all of them, holds no per-item state, and validates every batch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepscreen.core.metrics import QUEUE_KS
from deepscreen.impact.items import ITEM_SCHEMA, UTC_US
from deepscreen.impact.metric_quantiles import _Partitioned
from deepscreen.impact.metric_stream import MetricAccumulator, _TalliedValues
from deepscreen.impact.metrics import TABLE_SCHEMA, metric_table
from deepscreen.stats import interpolated_quantile

from .test_metrics import (
    ACTIONS,
    PROPERTY,
    T0,
    H,
    assert_same_tables,
    item,
    item_tables,
    labelled,
    table,
)

QUANTILE_METRICS = {
    "time_to_detect_median_hours",
    "time_to_action_median_hours",
    "time_to_action_p90_hours",
}


def accumulate(batches: list[pa.Table], **options: Any) -> MetricAccumulator:
    accumulator = MetricAccumulator(**options)
    for batch in batches:
        accumulator.add(batch)
    return accumulator


def expected_table(
    items: pa.Table, *, quantile_intervals: bool = False, **options: Any
) -> pa.Table:
    """metric_table without bootstrap; with ``quantile_intervals`` the quantile rows carry the
    intervals metric_table's bootstrap gives them."""
    expected = metric_table(items, bootstrap=False, **options)
    if not quantile_intervals:
        return expected
    exact = metric_table(items, bootstrap=True, n_boot=1, **options)
    use = pa.array([m in QUANTILE_METRICS for m in expected.column("metric").to_pylist()])
    for name in ("ci_low", "ci_high"):
        column = pa.chunked_array(
            [pc.if_else(use, exact.column(name).combine_chunks(), expected.column(name))]
        )
        expected = expected.set_column(expected.schema.get_field_index(name), name, column)
    return expected


def assert_equivalent(result: pa.Table, expected: pa.Table) -> None:
    """Same rows, order, strings and n; values and intervals to 1e-9 relative."""
    assert result.schema == TABLE_SCHEMA
    for name in ("period", "policy_revision", "segment", "metric", "n", "definition"):
        assert result.column(name).equals(expected.column(name)), name
    assert_same_tables(result, expected)


def split(items: pa.Table, order: list[int], cuts: list[int]) -> list[pa.Table]:
    """The rows taken in ``order``, cut at ``cuts`` (repeated cuts give empty batches)."""
    shuffled = items.take(pa.array(order, pa.int64()))
    bounds = [0, *sorted(cuts), items.num_rows]
    return [shuffled.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)]


# --------------------------------------------------------------------------- small tables


@st.composite
def stream_items(draw: st.DrawFn) -> pa.Table:
    """test_metrics' random item tables plus review-queue items tied on score and views, and
    items without a policy revision or segment."""
    base = draw(item_tables())
    extra = []
    for i in range(draw(st.integers(0, 14))):
        label = draw(st.sampled_from([None, True, False]))
        extra.append(
            item(
                500 + i,
                ingested_at=T0 + draw(st.integers(0, 24 * 40)) * H,
                action="review",
                score=draw(st.sampled_from([None, 0.5, 0.5, 0.9])),
                views_total=draw(st.sampled_from([0, 7, 7, 100])),
                segment=draw(st.sampled_from([None, "a", "b"])),
                policy_revision=draw(st.sampled_from([None, "p"])),
                detected_at=None if draw(st.booleans()) else T0,
                **({} if label is None else labelled(500 + i, label, label_source="review")),
            )
        )
    return pa.concat_tables([base, table(extra)])


@st.composite
def splits(draw: st.DrawFn, items: pa.Table) -> list[pa.Table]:
    """Any split into batches: a random row order and random cut points (single rows, empty
    batches and one batch with everything included)."""
    n = items.num_rows
    order = draw(st.permutations(list(range(n))))
    cuts = draw(st.lists(st.integers(0, n), max_size=6))
    return split(items, order, cuts)


OPTIONS = st.fixed_dictionaries(
    {
        "period": st.sampled_from(["day", "week", "month", "all"]),
        "by_segment": st.booleans(),
        "by_policy": st.booleans(),
        "review_minutes_per_item": st.sampled_from([None, 4.0]),
        "review_sla_hours": st.sampled_from([None, 12.0]),
    }
)


@PROPERTY
@given(st.data(), stream_items(), OPTIONS, st.booleans())
def test_table_equals_metric_table_when_items_arrive_in_any_batches(
    data: st.DataObject, items: pa.Table, options: dict[str, Any], quantile_intervals: bool
) -> None:
    batches = data.draw(splits(items))
    accumulator = accumulate(batches, quantile_intervals=quantile_intervals, **options)
    assert accumulator.items == items.num_rows
    expected = expected_table(items, quantile_intervals=quantile_intervals, **options)
    assert_equivalent(accumulator.table(), expected)


def test_one_row_batches_and_empty_batches() -> None:
    rows = [
        item(0, action="review", score=0.5, views_total=3, **labelled(0, True)),
        item(1, action="review", score=0.5, views_total=3, **labelled(1, False)),
        item(2, segment=None, policy_revision=None, detected_at=None),
        item(3, ingested_at=T0 + 24 * 40 * H, violating=True, inclusion_probability=0.5),
    ]
    items = table(rows)
    empty = items.slice(0, 0)
    batches = [empty, *(items.slice(i, 1) for i in range(len(rows))), empty]
    for period in ("day", "week", "month", "all"):
        accumulator = accumulate(batches, period=period, quantile_intervals=True)
        expected = expected_table(items, period=period, quantile_intervals=True)
        assert_equivalent(accumulator.table(), expected)


def test_nothing_added_gives_the_empty_table() -> None:
    accumulator = MetricAccumulator()
    accumulator.add(table([]))
    assert accumulator.items == 0 and accumulator.stored_values == 0
    assert accumulator.table().equals(TABLE_SCHEMA.empty_table())


def test_periods_are_ordered_by_time_not_by_label() -> None:
    """Day labels of year 10000 sort before 9999's as strings: the table still follows time,
    whatever order the batches come in."""
    year_10000_us = 253_402_300_800_000_000

    def at(rows: list[dict[str, Any]], us: int) -> pa.Table:
        batch = table(rows)
        when = pa.array([us] * batch.num_rows, pa.int64()).cast(UTC_US)
        for name in ("ingested_at", "detected_at", "decided_at"):
            batch = batch.set_column(batch.schema.get_field_index(name), name, when)
        return batch

    late = at([item(0), item(1, **labelled(1, True))], year_10000_us + 3_600_000_000)
    early = at([item(2), item(3, action="review", score=0.3)], year_10000_us - 3_600_000_000)
    for period in ("day", "month"):
        result = accumulate([late, early], period=period).table()
        periods = list(dict.fromkeys(result.column("period").to_pylist()))
        assert periods[0].startswith("9999") and periods[1].startswith("10000")
        assert_equivalent(result, expected_table(pa.concat_tables([late, early]), period=period))


# --------------------------------------------------------------------------- larger tables

SEGMENTS = np.array(["a", "b", "c", None], dtype=object)
POLICIES = np.array(["p", "q", None], dtype=object)
AUTOMATED = {"label", "downrank", "age_gate", "remove"}


def random_items(
    rng: np.random.Generator, n: int, *, first_id: int, days: int, first_day: int = 0
) -> pa.Table:
    """``n`` items over ``days`` days from ``first_day`` days after T0, whose times and views take
    few distinct values: detection 0 or 1 h after ingestion, enforcement 1–3 h (so at most 4
    distinct action hours), and scores and views tied in the review queue."""
    hour = 3_600_000_000
    start = int(T0.timestamp()) * 1_000_000 + first_day * 24 * hour
    ingested = start + rng.integers(0, days * 24, n).astype(np.int64) * hour
    action = rng.choice(np.array(ACTIONS, dtype=object), n, p=[0.45, 0.1, 0.05, 0.05, 0.1, 0.25])
    review = action == "review"
    is_labelled = rng.random(n) < np.where(review, 0.8, 0.1)
    violating = is_labelled & (rng.random(n) < 0.4)
    source = np.where(review | (rng.random(n) < 0.5), "review", "import")
    probability = np.where(review, np.nan, rng.choice([0.5, 0.25, np.nan], n))
    probability = np.where(is_labelled, probability, np.nan)
    auto = np.isin(action, list(AUTOMATED))
    enforced = auto | (review & violating & (source == "review"))
    views = rng.choice([0, 10, 10, 100, 5000], n)
    appealed = enforced & (rng.random(n) < 0.2)

    def times(offset_hours: Any, valid: Any) -> pa.Array:
        return pa.array(ingested + offset_hours * hour, pa.int64(), mask=~valid).cast(UTC_US)

    def strings(values: Any, valid: Any) -> pa.Array:
        return pa.array(np.asarray(values, dtype=object), pa.string(), mask=~np.asarray(valid))

    everyone = np.ones(n, dtype=bool)
    columns = {
        "item_id": pa.array([f"r{first_id + k:08d}" for k in range(n)]),
        "ingested_at": times(0, everyone),
        "kind": strings(np.full(n, "image"), everyone),
        "segment": strings(rng.choice(SEGMENTS, n), everyone),
        "policy_revision": strings(rng.choice(POLICIES, n), everyone),
        "rule_id": strings(np.full(n, "rule"), everyone),
        "action": strings(action, everyone),
        "decided_at": times(0, everyone),
        "score": pa.array(rng.choice([0.5, 0.7, 0.9, np.nan], n), from_pandas=True),
        "detected_at": times(rng.integers(0, 2, n), rng.random(n) < 0.95),
        "notice_at": times(2, rng.random(n) < 0.1),
        "violating": pa.array(violating, pa.bool_(), mask=~is_labelled),
        "reviewed_at": times(1, is_labelled),
        "review_action": strings(np.full(n, "remove"), review & enforced),
        "label_source": strings(source, is_labelled),
        "inclusion_probability": pa.array(probability, pa.float64(), from_pandas=True),
        "sample_stratum": strings(np.full(n, ""), np.zeros(n, dtype=bool)),
        "enforced": pa.array(enforced),
        "enforced_at": times(rng.integers(1, 4, n), enforced),
        "enforced_action": strings(np.where(auto, action, "remove"), enforced),
        "automated": pa.array(auto),
        "views_total": pa.array(views, pa.int64()),
        "views_before_action": pa.array(views // 2, pa.int64(), mask=~enforced),
        "appeal_received_at": times(24, appealed),
        "appeal_decided_at": times(48, appealed),
        "appeal_outcome": strings(rng.choice(["upheld", "reversed", "omitted"], n), appealed),
    }
    return pa.table(columns).cast(ITEM_SCHEMA)


@pytest.mark.parametrize("period", ["day", "week", "month", "all"])
def test_table_equals_metric_table_on_a_larger_random_table(period: str) -> None:
    """Thousands of items, hundreds queued per cell (the top 100 is cut), 17 uneven batches."""
    rng = np.random.default_rng(5)
    items = random_items(rng, 6_000, first_id=0, days=20)
    batches = split(items, rng.permutation(6_000).tolist(), rng.integers(0, 6_000, 16).tolist())
    for by_segment, by_policy in ((True, True), (False, True), (True, False), (False, False)):
        options: dict[str, Any] = dict(
            period=period,
            by_segment=by_segment,
            by_policy=by_policy,
            review_minutes_per_item=2.5,
            review_sla_hours=24.0,
        )
        accumulator = accumulate(batches, quantile_intervals=True, **options)
        expected = expected_table(items, quantile_intervals=True, **options)
        assert_equivalent(accumulator.table(), expected)
        assert accumulator.stored_candidates <= max(QUEUE_KS) * accumulator.stored_cells


def test_memory_held_does_not_grow_with_the_items() -> None:
    """50 batches of 10,000 items: what is held is bounded by cells × distinct values."""
    rng = np.random.default_rng(11)
    accumulator = MetricAccumulator(period="week", quantile_intervals=True)
    batches = []
    for day in range(50):
        batch = random_items(rng, 10_000, first_id=day * 10_000, days=1, first_day=day)
        batches.append(batch)
        accumulator.add(batch)
    assert accumulator.items == 500_000
    cells = accumulator.stored_cells  # 8 ISO weeks × 3 policies × 4 segments
    assert cells == 8 * 3 * 4
    # per cell at most 2 distinct detection hours and 4 distinct action hours
    assert accumulator.stored_values <= cells * (2 + 4)
    assert accumulator.stored_candidates <= max(QUEUE_KS) * cells
    items = pa.concat_tables(batches)
    expected = expected_table(items, period="week", quantile_intervals=True)
    assert_equivalent(accumulator.table(), expected)


# --------------------------------------------------------------------------- quantile samples


@PROPERTY
@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.5, 7.0, -3.0]), min_size=1, max_size=60))
def test_tallied_and_partitioned_values_give_the_same_order_statistics(values: list[float]) -> None:
    """The two forms _time_metrics reads quantiles from: raw values (metric_table) and distinct
    values with counts (the accumulator), for every rank."""
    x = np.array(values)
    distinct, counts = np.unique(x, return_counts=True)
    rng = np.random.default_rng(len(values))
    shuffle = rng.permutation(distinct.shape[0])  # unsorted pairs, as from several cells
    tallied = _TalliedValues(distinct[shuffle], counts[shuffle])
    partitioned = _Partitioned(x.copy())
    ranks = list(range(x.shape[0]))
    assert tallied.n == partitioned.n == x.shape[0]
    assert tallied.at(ranks).tolist() == partitioned.at(ranks).tolist() == sorted(values)
    for q in (0.5, 0.9):
        assert interpolated_quantile(np.sort(x), q) == pytest.approx(np.quantile(x, q))


# --------------------------------------------------------------------------- validation


def test_bad_inclusion_probability_is_refused_with_its_batch() -> None:
    good = table([item(0, **labelled(0, True, inclusion_probability=0.5)), item(1)])
    bad = table([item(2, **labelled(2, False, inclusion_probability=1.5))])
    accumulator = MetricAccumulator(quantile_intervals=True)
    accumulator.add(good)
    with pytest.raises(ValueError, match="inclusion_probability"):
        accumulator.add(bad)
    assert accumulator.items == 2
    expected = expected_table(good, quantile_intervals=True)
    assert_equivalent(accumulator.table(), expected)
    with pytest.raises(ValueError, match="inclusion_probability"):
        MetricAccumulator().add(table([item(3, **labelled(3, True, inclusion_probability=0.0))]))


def test_invalid_options_and_batches_are_refused() -> None:
    with pytest.raises(ValueError, match="period"):
        MetricAccumulator(period="year")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="review_minutes"):
        MetricAccumulator(review_minutes_per_item=-1)
    accumulator = MetricAccumulator()
    with pytest.raises(ValueError, match="lacks"):
        accumulator.add(table([item(0)]).drop_columns(["views_total"]))
    with pytest.raises(ValueError, match="ingested_at"):
        accumulator.add(table([item(0, ingested_at=None)]))
    assert accumulator.items == 0
