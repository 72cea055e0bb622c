"""The metric table's fast paths against straightforward references on random tables: numpy cell
sums against the SQL engine, radix-selected order statistics against sorting, the cells'
dictionary-order ids against their labels, the accumulator's tallies, the cost columns."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepscreen.impact import cost_columns, metric_cells, metrics
from deepscreen.impact.cell_sums import cell_sums
from deepscreen.impact.cells_duckdb import cell_sums_sql, connection
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metric_stream import _distinct_pairs
from deepscreen.impact.order_stats import GroupOrderStatistics, blocks_of
from deepscreen.impact.parallel import run_all

from .test_metrics import PROPERTY, T0, item_tables


def random_items(n: int, seed: int, *, weighted: bool = True, chunks: int = 3) -> pa.Table:
    """``n`` random ITEM_SCHEMA rows (nulls, labels, π, notices, appeals) in ``chunks`` chunks."""
    rng = np.random.default_rng(seed)
    actions = np.array(["allow", "label", "downrank", "age_gate", "remove", "review"])
    action = actions[rng.integers(0, len(actions), n)]
    acted = np.isin(action, actions[1:5]) | ((action == "review") & (rng.random(n) < 0.5))
    labelled = rng.random(n) < 0.4
    ingested = [T0 + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 80, n)]

    def maybe(values: list[Any], present: np.ndarray) -> list[Any]:
        return [v if p else None for v, p in zip(values, present, strict=True)]

    def later(hours: np.ndarray) -> list[Any]:
        micros = np.rint(hours * 3.6e9).astype(np.int64).tolist()
        return [t + timedelta(microseconds=m) for t, m in zip(ingested, micros, strict=True)]

    decided = rng.exponential(0.01, n)
    on_the_hour = rng.random(n) < 0.15  # reviewed exactly 3 h after the decision: SLA edge
    reviewed = np.where(on_the_hour, decided + 3.0, rng.exponential(6.0, n))

    outcome = rng.choice(["upheld", "reversed", "partially_reversed", "omitted"], n)
    pi = np.round(rng.uniform(0.05, 1.0, n), 3)
    columns: dict[str, Any] = {
        "item_id": [f"i{i}" for i in rng.permutation(n)],
        "ingested_at": ingested,
        "kind": ["image"] * n,
        "segment": maybe(
            list(rng.choice(["news", "memes", "art", "all-x"], n)), rng.random(n) > 0.05
        ),
        "policy_revision": maybe(list(rng.choice(["r-9", "r-1", "r-5"], n)), rng.random(n) > 0.05),
        "action": maybe(list(action), rng.random(n) > 0.03),
        "decided_at": maybe(later(decided), rng.random(n) > 0.05),
        "score": maybe(list(rng.random(n)), rng.random(n) > 0.1),
        "detected_at": maybe(later(rng.exponential(2.0, n) - 0.2), rng.random(n) > 0.1),
        "notice_at": maybe(later(rng.exponential(5.0, n)), rng.random(n) < 0.1),
        "violating": maybe(list(rng.random(n) < 0.3), labelled),
        "reviewed_at": maybe(later(reviewed), labelled),
        "label_source": maybe(list(rng.choice(["review", "import"], n)), labelled),
        "inclusion_probability": maybe(list(pi), labelled & (rng.random(n) < 0.5) & weighted),
        "enforced": maybe(list(acted), rng.random(n) > 0.02),
        "enforced_at": maybe(later(rng.exponential(3.0, n)), acted & (rng.random(n) > 0.05)),
        "enforced_action": maybe(
            list(np.where(action == "review", "remove", action)), acted & (rng.random(n) > 0.05)
        ),
        "automated": maybe(list(acted & (action != "review")), rng.random(n) > 0.02),
        "views_total": list(rng.integers(0, 10_000, n)),
        "views_before_action": maybe(list(rng.integers(0, 3000, n)), acted),
        "appeal_received_at": maybe(later(np.full(n, 24.0)), acted & (rng.random(n) < 0.2)),
        "appeal_decided_at": maybe(later(np.full(n, 48.0)), acted & (rng.random(n) < 0.2)),
        "appeal_outcome": maybe(list(outcome), acted & (rng.random(n) < 0.2)),
    }
    rows = pa.table({name: columns.get(name, [None] * n) for name in ITEM_SCHEMA.names})
    rows = rows.cast(ITEM_SCHEMA)
    bounds = np.linspace(0, n, chunks + 1).astype(int)
    return pa.concat_tables(
        [rows.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    )


def both_engines(items: pa.Table, period: str, sla: float | None) -> tuple[Any, Any, int]:
    items = metric_cells._conform(items)
    cells, item_cell = metric_cells._Cells.of_items(items, period, by_policy=True, by_segment=True)
    fast = cell_sums(items, item_cell, cells.count, sla)
    with connection() as duckdb:
        reference = cell_sums_sql(duckdb, items, cells.count, item_cell, sla)
    return fast, reference, cells.count


def assert_same_sums(fast: dict[str, Any], reference: dict[str, Any]) -> None:
    assert list(fast) == list(reference)
    for name, expected in reference.items():
        if name.startswith("w"):  # sums of 1/π: equal to rounding (another summation order)
            np.testing.assert_allclose(fast[name], expected, rtol=1e-12, err_msg=name)
        else:  # counts and integer sums: exact
            np.testing.assert_array_equal(fast[name], expected, err_msg=name)


@pytest.mark.parametrize("period", ["day", "week", "month", "all"])
@pytest.mark.parametrize("sla", [None, 3.0])
def test_numpy_cell_sums_equal_the_sql_reference(period: str, sla: float | None) -> None:
    fast, reference, _ = both_engines(random_items(3000, seed=7), period, sla)
    assert_same_sums(fast, reference)
    assert fast["reviewed_in_sla"].sum() > 0 or sla is None


def test_unweighted_cell_sums_are_bit_identical() -> None:
    fast, reference, _ = both_engines(random_items(2000, seed=3, weighted=False), "week", 5.0)
    for name, expected in reference.items():
        np.testing.assert_array_equal(fast[name], expected, err_msg=name)


@PROPERTY
@given(item_tables(), st.sampled_from(["month", "all"]), st.sampled_from([None, 2.5, 12.0]))
def test_cell_sums_agree_on_small_tables(items: pa.Table, period: str, sla: float | None) -> None:
    fast, reference, _ = both_engines(items, period, sla)
    assert_same_sums(fast, reference)


@pytest.mark.parametrize("pi", [0.0, 1.5, float("nan"), -0.2])
def test_both_engines_refuse_an_inclusion_probability_outside_0_1(pi: float) -> None:
    items = random_items(50, seed=1)
    violating = items.column("violating").combine_chunks()
    first = int(pc.index(pc.is_valid(violating), True).as_py())
    probability = items.column("inclusion_probability").to_pylist()
    probability[first] = pi
    bad = items.set_column(
        items.schema.get_field_index("inclusion_probability"),
        "inclusion_probability",
        pa.array(probability, pa.float64()),
    )
    for engine in ("numpy", "sql"):
        with pytest.raises(ValueError, match="inclusion_probability"):
            if engine == "numpy":
                metrics.metric_table(bad)
            else:
                cells, item_cell = metric_cells._Cells.of_items(
                    bad, "all", by_policy=False, by_segment=False
                )
                with connection() as duckdb:
                    cell_sums_sql(duckdb, bad, cells.count, item_cell)


# --------------------------------------------------------------------------- order statistics


def sorted_by_group(
    cells: np.ndarray, values: np.ndarray, of_cell: list[np.ndarray], n_groups: int
) -> dict[int, np.ndarray]:
    out: dict[int, list[np.ndarray]] = {}
    for mapping in of_cell:
        group = mapping[cells]
        for g in np.unique(group[group < n_groups]).tolist():
            out.setdefault(g, []).append(values[group == g])
    return {g: np.sort(np.concatenate(parts)) for g, parts in out.items()}


VALUES = {
    "exponential µs": lambda rng, n: (rng.exponential(2e6, n)).astype(np.int64),
    "signed": lambda rng, n: rng.integers(-(10**9), 10**9, n),
    "few distinct": lambda rng, n: rng.choice([0, 1, 7, 500_000, 30_000_000], n),
    "constant": lambda rng, n: np.full(n, 123_456_789, dtype=np.int64),
    "extremes": lambda rng, n: rng.choice(
        [-(2**62), -1, 0, 1, 2**53 + 1, 2**53, 2**62, 2**63 - 1], n
    ),
}


@pytest.mark.parametrize("kind", sorted(VALUES))
@pytest.mark.parametrize("n_cells", [1, 7, 300])
def test_radix_selection_equals_sorting(kind: str, n_cells: int) -> None:
    rng = np.random.default_rng(n_cells)
    n = 20_000
    values = np.asarray(VALUES[kind](rng, n), dtype=np.int64)
    cells = rng.integers(0, n_cells, n)
    n_groups = 1 + 3 + n_cells // 2
    of_cell = [
        np.zeros(n_cells, dtype=np.int64),  # one group of every cell
        1 + np.arange(n_cells) % 3,  # three groups
        np.where(np.arange(n_cells) % 2 == 0, 4 + np.arange(n_cells) // 2, n_groups),  # some
    ]
    selection = GroupOrderStatistics.build(cells, blocks_of(values), of_cell, n_groups, 3.6e9)
    assert selection is not None
    expected = sorted_by_group(cells, values, of_cell, n_groups)
    assert selection.groups.tolist() == sorted(expected)
    assert selection.sizes.tolist() == [expected[g].shape[0] for g in sorted(expected)]
    ranks = []
    for size in selection.sizes.tolist():
        picks = {0, size - 1, size // 2, (size - 1) // 2, int(size * 0.9)}
        picks |= set(rng.integers(0, size, 5).tolist())
        ranks.append(sorted(picks))
    got = selection.order_statistics(ranks)
    for group, wanted, values_at in zip(selection.groups.tolist(), ranks, got, strict=True):
        reference = expected[group][wanted] / 3.6e9
        assert values_at.tolist() == reference.tolist()  # exact, not approximate


def test_radix_selection_gives_way_to_sorting_with_too_many_cells() -> None:
    n_cells = 1 << 17
    values = np.array([0, 2**62], dtype=np.int64)
    of_cell = [np.zeros(n_cells, dtype=np.int64)]
    assert GroupOrderStatistics.build(np.array([0, 1]), blocks_of(values), of_cell, 1, 1.0) is None
    empty = GroupOrderStatistics.build(
        np.zeros(0, np.int64), blocks_of(values[:0]), of_cell, 1, 1.0
    )
    assert empty is not None and empty.groups.size == 0


@pytest.mark.parametrize("period", ["day", "week", "month", "all"])
def test_metric_table_quantiles_are_those_of_the_sorting_path(
    period: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = random_items(4000, seed=11)
    kwargs: dict[str, Any] = dict(period=period, n_boot=50, seed=2)
    fast = metrics.metric_table(items, **kwargs)
    monkeypatch.setattr(GroupOrderStatistics, "build", classmethod(lambda *args: None))
    sorting = metrics.metric_table(items, **kwargs)
    assert fast.equals(sorting)


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize("period", ["day", "week", "month", "all"])
@pytest.mark.parametrize("compact", [False, True])
def test_cell_ids_map_every_item_to_its_own_labels(
    period: str, compact: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items are numbered in dictionary order; each cell's key must still name their labels."""
    if compact:
        monkeypatch.setattr(metric_cells, "_DENSE_CELLS", 1)
    items = metric_cells._conform(random_items(3000, seed=5))
    cells, item_cell = metric_cells._Cells.of_items(items, period, by_policy=True, by_segment=True)
    period_of, policy_of, segment_of = cells.components()
    assert cells.policy_labels is not None and cells.segment_labels is not None
    assert cells.policy_labels == sorted(cells.policy_labels)
    policies = np.array(cells.policy_labels, dtype=object)[policy_of[item_cell]]
    segments = np.array(cells.segment_labels, dtype=object)[segment_of[item_cell]]
    assert policies.tolist() == [p or "" for p in items.column("policy_revision").to_pylist()]
    assert segments.tolist() == [s or "" for s in items.column("segment").to_pylist()]
    if period == "all":
        return
    labels = np.array(cells.period_labels, dtype=object)[period_of[item_cell]]
    for label, at in zip(labels.tolist(), items.column("ingested_at").to_pylist(), strict=True):
        if period == "day":
            assert label == at.strftime("%Y-%m-%d")
        elif period == "week":
            year, week, _ = at.isocalendar()
            assert label == f"{year}-W{week:02d}"
        else:
            assert label == at.strftime("%Y-%m")


# --------------------------------------------------------------------------- accumulator tallies


@pytest.mark.parametrize("cells", [1, 5, 2**40])
@pytest.mark.parametrize("spread", ["narrow", "wide"])
def test_distinct_pairs_equal_a_sort_of_the_pairs(cells: int, spread: str) -> None:
    """One cell, one int64 key per (cell, value), or a lexicographic sort when keys overflow."""
    rng = np.random.default_rng(cells % 97)
    n = 5000
    cell = rng.integers(0, min(cells, 5), n) * (cells // min(cells, 5))
    choices = [-5, 0, 3, 40] if spread == "narrow" else [-5, 0, 3, 2**40, 2**62]
    value = rng.choice(choices, n) + rng.integers(0, 3, n)
    pair_cell, distinct, counts = _distinct_pairs(cell, value)
    expected, expected_counts = np.unique(np.stack([cell, value]), axis=1, return_counts=True)
    assert pair_cell.tolist() == expected[0].tolist()
    assert distinct.tolist() == expected[1].tolist()
    assert counts.tolist() == expected_counts.tolist()


def test_tally_merges_values_equal_in_hours() -> None:
    """Distinct µs that give the same float hours are one value, as when tallying floats."""
    from deepscreen.impact.metric_stream import _Tally

    micros = np.array([2**60, 2**60 + 1, 2**60 + 2, 5, 5], dtype=np.int64)
    tally = _Tally()
    tally.add(np.zeros(5, dtype=np.int64), micros)
    _, values, counts = tally.arrays()
    hours = micros / metric_cells._HOUR_US
    expected, expected_counts = np.unique(hours, return_counts=True)
    assert values.tolist() == expected.tolist() and counts.tolist() == expected_counts.tolist()


# --------------------------------------------------------------------------- costs and helpers


def test_cost_string_columns_read_as_plain_python() -> None:
    column = pa.chunked_array([pa.array(["a", None, "bb"]), pa.array(["a", "c", None, "bb"])])
    strings = cost_columns._Strings.of(column)
    plain = column.to_pylist()
    assert strings.equals("a").tolist() == [v == "a" for v in plain]
    assert strings.equals("zz").tolist() == [False] * len(plain)
    assert strings.present.tolist() == [v is not None for v in plain]
    mask = np.array([True, True, False, True, False, True, True])
    picked = [("None" if v is None else v) for v, m in zip(plain, mask, strict=True) if m]
    assert strings.strings(mask, "None").tolist() == picked
    assert strings.tally(mask, "None") == Counter(picked)
    assert strings.strings(np.zeros(len(plain), dtype=bool)).tolist() == []


def test_run_all_keeps_order_and_raises() -> None:
    tasks = [lambda i=i: i * i for i in range(5)]
    assert run_all(tasks, rows=10**9) == [0, 1, 4, 9, 16]
    assert run_all(tasks, rows=1) == [0, 1, 4, 9, 16]

    def fail() -> int:
        raise KeyError("x")

    with pytest.raises(KeyError):
        run_all([lambda: 1, fail], rows=10**9)


def test_multi_chunk_and_single_chunk_tables_give_the_same_table() -> None:
    items = random_items(2500, seed=9, chunks=7)
    kwargs: dict[str, Any] = dict(period="week", n_boot=40, review_sla_hours=4.0)
    assert metrics.metric_table(items, **kwargs).equals(
        metrics.metric_table(items.combine_chunks(), **kwargs)
    )


def test_quantile_hours_are_microseconds_over_3_6e9() -> None:
    micros = [0, 5, 999_999, 3_600_000_001, 7, 2, 86_400_000_000, 11, 13]
    rows = [
        {name: None for name in ITEM_SCHEMA.names}
        | dict(item_id=f"i{i}", ingested_at=T0, detected_at=T0 + timedelta(microseconds=m))
        for i, m in enumerate(micros)
    ]
    table = metrics.metric_table(pa.Table.from_pylist(rows, schema=ITEM_SCHEMA), period="all")
    median = [r for r in table.to_pylist() if r["metric"] == "time_to_detect_median_hours"][0]
    assert median["value"] == float(np.median(np.array(micros) / 3_600_000_000.0))
