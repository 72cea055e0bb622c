"""Score-stratified labelling samples: allocation by hand, floors, inclusion probabilities,
exploration, determinism and refused inputs."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.sampling import (
    UNITS_SCHEMA,
    build_frame,
    design_sample,
    neyman_allocation,
)

A_HIGH = "actioned:s01[0.500,1.000]"
N_LOW = "non_actioned:s00[0.000,0.500)"
N_HIGH = "non_actioned:s01[0.500,1.000]"
N_NONE = "non_actioned:no_score"


def items(rows: list[tuple[str, float | None, str, bool | None]]) -> pa.Table:
    """Rows of (item id, score, action, violating) as an ``ITEM_SCHEMA`` table."""
    columns: dict[str, list[object]] = {f.name: [None] * len(rows) for f in ITEM_SCHEMA}
    columns["item_id"] = [r[0] for r in rows]
    columns["score"] = [r[1] for r in rows]
    columns["action"] = [r[2] for r in rows]
    columns["violating"] = [r[3] for r in rows]
    columns["enforced"] = [r[2] in {"label", "downrank", "age_gate", "remove"} for r in rows]
    return pa.Table.from_pydict(columns, schema=ITEM_SCHEMA)


def hand_case() -> pa.Table:
    """40 actioned at 0.9; non-actioned: 100 at 0.2 (8 labelled, none violating), 60 at 0.6,
    3 without a score."""
    rows: list[tuple[str, float | None, str, bool | None]] = []
    rows += [(f"a{i:03d}", 0.9, "remove" if i % 2 else "review", None) for i in range(40)]
    rows += [(f"l{i:03d}", 0.2, "allow", False if i < 8 else None) for i in range(100)]
    rows += [(f"h{i:03d}", 0.6, "allow", None) for i in range(60)]
    rows += [(f"x{i:03d}", None, "allow", None) for i in range(3)]
    return items(rows)


def draw(size: int = 43, seed: int = 7, share: float = 0.0, **kwargs):
    return design_sample(
        hand_case(),
        size=size,
        seed=seed,
        sample_id="s-1",
        exploration_share=share,
        edges=[0.5],
        **kwargs,
    )


def test_neyman_allocation_matches_hand_computation():
    # N_h·S_h = 50, 100, 210 (S = 0.5, 0.5, 0.3): 36 units at λ = 0.1
    assert neyman_allocation([100, 200, 700], [0.5, 0.5, 0.1], 36, floor=5) == (5, 10, 21)


def test_floor_lifts_small_strata_and_caps_at_stratum_size():
    # proportional would give the 10-item stratum 0.2 units: the floor lifts it to 5
    assert neyman_allocation([10, 1000], [0.5, 0.5], 20, floor=5) == (5, 15)
    # a 3-item stratum is drawn whole; a near-certain stratum stays at the floor
    assert neyman_allocation([3, 1000, 50], [0.5, 0.5, 0.01], 20, floor=5) == (3, 12, 5)


def test_allocation_refuses_a_total_outside_the_bounds():
    with pytest.raises(ValueError, match="outside"):
        neyman_allocation([10, 10], [0.5, 0.5], 9, floor=5)


@given(
    strata=st.lists(st.tuples(st.integers(1, 500), st.floats(0.01, 0.99)), min_size=1, max_size=12),
    floor=st.integers(1, 10),
    fraction=st.floats(0.0, 1.0),
)
def test_allocation_sums_to_total_within_floor_and_size(strata, floor, fraction):
    sizes = [n for n, _ in strata]
    low = sum(min(floor, n) for n in sizes)
    total = low + round(fraction * (sum(sizes) - low))
    counts = neyman_allocation(sizes, [p for _, p in strata], total, floor=floor)
    assert sum(counts) == total
    assert all(min(floor, n) <= c <= n for c, n in zip(counts, sizes, strict=True))


def test_design_allocates_by_neyman_with_priors_from_labelled_items():
    plan = draw()
    by_name = {s.name: s for s in plan.strata}
    assert list(by_name) == [A_HIGH, N_LOW, N_HIGH, N_NONE]  # the empty actioned bin is dropped
    # priors: 8 labels, none violating → (0 + 1)/(8 + 2) = 0.1; elsewhere the prior 0.5.
    assert by_name[N_LOW].prior == pytest.approx(0.1) and by_name[N_LOW].labelled == 8
    # N_h·S_h = 40·0.5, 100·0.3, 60·0.5 = 20, 30, 30 share 40 units (λ = 0.5); no_score: all 3
    assert {s.name: s.allocated for s in plan.strata} == {
        A_HIGH: 10,
        N_LOW: 15,
        N_HIGH: 15,
        N_NONE: 3,
    }
    assert any("floor 5 capped" in note and N_NONE in note for note in plan.notes)


def test_inclusion_probabilities_are_n_over_N_and_sum_to_the_allocation():
    plan = draw()
    drawn = Counter(u.stratum for u in plan.units)
    for s in plan.strata:
        assert drawn[s.name] == s.allocated
        assert s.inclusion_probability == pytest.approx(s.allocated / s.population_size)
        assert s.population_size * s.inclusion_probability == pytest.approx(s.allocated)
        units = [u for u in plan.units if u.stratum == s.name]
        assert sum(1 / u.inclusion_probability for u in units) == pytest.approx(s.population_size)
    assert len({u.item_id for u in plan.units}) == len(plan.units) == 43


def test_exploration_probability_combines_both_draws():
    plan = draw(share=0.1)
    # R = (100 − 15) + (60 − 15) + (3 − 3) = 130 not yet drawn; m = ceil(0.1·130) = 13
    assert plan.exploration_size == 13
    explored = [u for u in plan.units if u.draw == "exploration"]
    assert len(explored) == 13 and {u.population for u in explored} == {"non_actioned"}
    by_name = {s.name: s for s in plan.strata}
    assert by_name[N_LOW].inclusion_probability == pytest.approx(0.15 + 0.85 * 13 / 130)
    assert by_name[N_HIGH].inclusion_probability == pytest.approx(0.25 + 0.75 * 13 / 130)
    assert by_name[A_HIGH].inclusion_probability == pytest.approx(0.25)  # actioned: untouched
    non = [s for s in plan.strata if s.population == "non_actioned"]
    assert sum(s.population_size * s.inclusion_probability for s in non) == pytest.approx(33 + 13)
    assert sum(s.explored for s in plan.strata) == 13
    assert len({u.item_id for u in plan.units}) == 43 + 13


def test_exploration_probability_matches_drawing_frequency():
    frame = build_frame(hand_case(), edges=[0.5])
    reps = 400
    hits: Counter[str] = Counter()
    for seed in range(reps):
        plan = design_sample(frame, size=43, seed=seed, sample_id="s", exploration_share=0.1)
        hits.update(u.stratum for u in plan.units)
    for s in plan.strata:
        # per-item frequency of being drawn, averaged over the stratum; its Monte-Carlo SE is
        # below 0.001 (the stratum's count varies by the hypergeometric exploration share)
        frequency = hits[s.name] / (reps * s.population_size)
        assert frequency == pytest.approx(s.inclusion_probability, abs=0.004)


def test_same_seed_same_sample_and_another_seed_another():
    first, again, other = draw(seed=3, share=0.05), draw(seed=3, share=0.05), draw(seed=4)
    assert first.units == again.units and first.strata == again.strata
    assert {u.item_id for u in first.units} != {u.item_id for u in other.units}


def test_default_bins_are_deciles_of_each_population():
    rows = [(f"i{i:04d}", (i + 0.5) / 1000, "allow", None) for i in range(1000)]
    plan = design_sample(items(rows), size=100, seed=1, sample_id="s", exploration_share=0)
    assert [s.population_size for s in plan.strata] == [100] * 10
    assert [s.allocated for s in plan.strata] == [10] * 10
    assert plan.strata[0].name == "non_actioned:s00[0.000,0.100)"
    assert plan.strata[-1].name == "non_actioned:s09[0.900,1.000]"


def test_equal_scores_form_one_stratum_and_null_scores_their_own():
    rows = [(f"a{i}", 1.0, "label", None) for i in range(6)]
    rows += [(f"n{i}", None, "allow", None) for i in range(10)]
    plan = design_sample(items(rows), size=12, seed=0, sample_id="s", exploration_share=0)
    assert [(s.name, s.population_size, s.allocated) for s in plan.strata] == [
        ("actioned:s00[0.000,1.000]", 6, 5),
        ("non_actioned:no_score", 10, 7),
    ]
    assert all(u.score is None for u in plan.units if u.population == "non_actioned")


def test_size_above_the_population_draws_everything_and_says_so():
    plan = draw(size=500, share=0.5)
    assert len(plan.units) == 203 and plan.exploration_size == 0
    assert all(s.inclusion_probability == 1.0 for s in plan.strata)
    assert any("capped at the population size 203" in note for note in plan.notes)


def test_units_as_arrow_rows():
    table = draw(share=0.1).to_arrow()
    assert table.schema == UNITS_SCHEMA and table.num_rows == 56
    assert set(table.column("draw").to_pylist()) == {"stratified", "exploration"}
    assert set(table.column("sample_id").to_pylist()) == {"s-1"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 12}, r"size 12 is below the floor total 18 \(4 strata × floor 5"),
        ({"size": 0}, "size must be a whole number >= 1"),
        ({"floor": 0}, "floor must be a whole number >= 1"),
        ({"seed": -1}, "seed must be a whole number >= 0"),
        ({"share": 1.0}, r"exploration share must be in \[0, 1\)"),
        ({"prior": 0.0}, "prior violation rate must be strictly between 0 and 1"),
    ],
)
def test_bad_parameters_are_refused_with_what_to_change(kwargs, message):
    with pytest.raises(ValueError, match=message):
        draw(**kwargs)


def test_bad_tables_and_edges_are_refused():
    with pytest.raises(ValueError, match="no items to sample"):
        build_frame(items([]))
    with pytest.raises(ValueError, match="lacks column"):
        build_frame(pa.table({"item_id": ["a"]}))
    with pytest.raises(ValueError, match="strictly increasing"):
        build_frame(hand_case(), edges=[0.5, 0.5])
    with pytest.raises(ValueError, match="bins must be"):
        build_frame(hand_case(), bins=0)


def test_review_sends_an_item_to_the_actioned_population():
    plan = draw(size=500)
    populations = {u.item_id: u.population for u in plan.units}
    assert populations["a000"] == populations["a001"] == "actioned"  # review and remove
    assert np.unique([populations[f"l{i:03d}"] for i in range(100)]).tolist() == ["non_actioned"]
