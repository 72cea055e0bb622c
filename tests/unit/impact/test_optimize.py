"""Threshold optimiser: small cases solved by hand, binding constraints, refusals, properties."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepscreen.impact.costs import CostModel
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.optimize import optimize_thresholds
from deepscreen.impact.optimize_inputs import OptimizationRefused, missing_inputs
from deepscreen.impact.optimize_result import OFF
from deepscreen.impact.optimize_search import shortest_between

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def items(rows: list[tuple[float | None, bool | None, int]], *, segment: str = "") -> pa.Table:
    """(score, violating, views) rows, all ingested at T0."""
    full: list[dict[str, Any]] = [
        {
            "item_id": f"i{n}",
            "ingested_at": T0,
            "score": score,
            "violating": violating,
            "views_total": views,
            "segment": segment,
            "enforced": False,
        }
        for n, (score, violating, views) in enumerate(rows)
    ]
    return pa.Table.from_pylist(full, schema=ITEM_SCHEMA)


def costs(remove: float = 10.0, label: float = 1.0, review: float = 1.0) -> CostModel:
    return CostModel(
        review_cost_per_item=review,
        wrongful_action_cost={"remove": remove, "label": label},
        harm_per_violating_view={"default": 1.0},
    )


# p = score; harm per view 1; 10 views each: not acting costs 10p, removing costs 10(1 − p).
FOUR = [(0.9, True, 10), (0.6, False, 10), (0.3, False, 10), (0.1, False, 10)]


def test_single_action_follows_the_expected_cost_rule() -> None:
    # remove iff 10p > 10(1 − p): 0.9 and 0.6 yes, 0.3 and 0.1 no → cut in (0.3, 0.6]
    result = optimize_thresholds(items(FOUR), costs(), actions=["remove"])
    assert result.chosen.thresholds == {"remove": 0.4}
    assert result.chosen.expected_cost == pytest.approx(1 + 4 + 3 + 1)
    assert result.chosen.false_positive_rate == pytest.approx(1 / 3)
    assert result.binding == ()
    assert result.actions == ("remove",)


def test_max_fpr_binds() -> None:
    result = optimize_thresholds(items(FOUR), costs(), actions=["remove"], max_fpr=0.0)
    assert result.chosen.thresholds == {"remove": 0.7}  # only 0.9 removed
    assert result.chosen.expected_cost == pytest.approx(1 + 6 + 3 + 1)
    assert result.chosen.false_positive_rate == 0.0
    assert len(result.binding) == 1 and result.binding[0].startswith("max_fpr 0")
    assert result.unconstrained.thresholds == {"remove": 0.4}


def test_review_band_under_capacity() -> None:
    # enforcement is dear (c_FP 100): review where 10p > 1 (0.9, 0.6, 0.3; 0.1 is a tie)
    model = costs(remove=100.0, label=100.0)
    free = optimize_thresholds(items(FOUR), model, period_days=1.0)
    assert free.chosen.thresholds == {"remove": OFF, "label": OFF, "review": 0.2}
    assert free.chosen.expected_cost == pytest.approx(1 + 1 + 1 + 1)
    assert free.chosen.review_per_day == 3.0
    capped = optimize_thresholds(items(FOUR), model, period_days=1.0, review_capacity_per_day=2)
    assert capped.chosen.thresholds["review"] == 0.4
    assert capped.chosen.expected_cost == pytest.approx(1 + 1 + 3 + 1)
    assert capped.binding and capped.binding[0].startswith("review capacity 2/day")
    none = optimize_thresholds(items(FOUR), model, period_days=1.0, review_capacity_per_day=0)
    assert none.chosen.thresholds["review"] == OFF
    assert none.chosen.expected_cost == pytest.approx(9 + 6 + 3 + 1)


def test_review_load_counts_unlabelled_items_over_the_period() -> None:
    rows = [*FOUR, (0.7, None, 10)]  # unlabelled: no cost, but a reviewer sees it
    model = costs(remove=100.0, label=100.0)
    result = optimize_thresholds(items(rows), model, period_days=2.0, review_capacity_per_day=1.5)
    # ≥ 0.2 would send 4 items in 2 days (2/day); ≥ 0.4 sends 0.9, 0.7, 0.6 (1.5/day)
    assert result.chosen.thresholds["review"] == 0.4
    assert result.chosen.review_per_day == 1.5
    assert (result.labelled, result.scored) == (4, 5)


def test_period_defaults_to_the_ingestion_span() -> None:
    table = items(FOUR)
    later = table.column("ingested_at").to_pylist()
    later[-1] = T0 + timedelta(days=4)
    table = table.set_column(1, "ingested_at", pa.array(later, ITEM_SCHEMA.field(1).type))
    result = optimize_thresholds(table, costs(remove=100.0, label=100.0))
    assert result.period_days == 4.0 and result.chosen.review_per_day == 3 / 4
    short = optimize_thresholds(items(FOUR), costs())
    assert short.period_days == 1.0  # at least one day


def test_label_below_remove_when_a_label_prevents_part_of_the_harm() -> None:
    rows = [(0.9, True, 10), (0.5, True, 10), (0.1, False, 10)]
    # a label stops half the harm: p=0.9 remove 1 < label 4.6; p=0.5 label 3 < remove 5, none 5;
    # p=0.1 none 1 < label 1.4
    result = optimize_thresholds(
        items(rows), costs(), actions=["remove", "label"], harm_prevented={"label": 0.5}
    )
    assert result.chosen.thresholds == {"remove": 0.6, "label": 0.2}
    assert result.chosen.expected_cost == pytest.approx(1 + 3 + 1)
    assert any("a label prevents 50%" in a for a in result.assumptions)
    # by default acting stops all the harm, so a label does and is cheaper than a removal:
    # removal is off; labelling even p=0.1 costs 0.9 < 1 of not acting
    plain = optimize_thresholds(items(rows), costs(), actions=["remove", "label"])
    assert plain.chosen.thresholds == {"remove": OFF, "label": 0.0}
    assert plain.chosen.expected_cost == pytest.approx(0.1 + 0.5 + 0.9)


def test_harm_per_view_follows_the_segment_severity() -> None:
    model = CostModel(
        wrongful_action_cost={"remove": 10.0},
        harm_per_violating_view={"high": 1.0},
        severity_by_segment={"politics": "high"},
    )
    result = optimize_thresholds(items(FOUR, segment="politics"), model, actions=["remove"])
    assert result.chosen.thresholds == {"remove": 0.4}
    with pytest.raises(OptimizationRefused, match="severity 'default'.*segments news"):
        optimize_thresholds(items(FOUR, segment="news"), model, actions=["remove"])


def test_baseline_is_costed_the_same_way() -> None:
    result = optimize_thresholds(
        items(FOUR), costs(), actions=["remove"], baseline={"remove": 0.95}, max_fpr=0.5
    )
    assert result.baseline is not None
    assert result.baseline.expected_cost == pytest.approx(9 + 6 + 3 + 1)
    assert result.baseline.meets_constraints


def test_refuses_without_scored_labelled_items() -> None:
    rows = [(0.9, None, 10), (None, True, 10)]
    with pytest.raises(OptimizationRefused, match="no scored labelled items"):
        optimize_thresholds(items(rows), costs())


def test_refuses_naming_missing_costs() -> None:
    with pytest.raises(OptimizationRefused) as info:
        optimize_thresholds(items(FOUR), CostModel())
    message = str(info.value)
    assert "wrongful-action cost for remove" in message
    assert "wrongful-action cost for label" in message
    assert "no review cost" in message and "harm_per_violating_view.default" in message


def test_refuses_without_views_naming_the_import() -> None:
    rows = [(0.9, True, 0), (0.6, False, 0), (0.2, False, 0)]
    with pytest.raises(OptimizationRefused) as info:
        optimize_thresholds(items(rows), costs())
    assert [m.name for m in info.value.missing] == ["views"]
    assert "deepscreen impact import views" in str(info.value)


def test_missing_inputs_are_listed_together() -> None:
    rows = [(0.9, True, 0), (0.2, False, 0)]
    missing = missing_inputs(items(rows), CostModel(review_cost_per_item=1.0))
    assert [m.name for m in missing] == [
        "views",
        "wrongful_action_cost.remove",
        "wrongful_action_cost.label",
        "harm_per_violating_view.default",
    ]
    assert all(m.supply for m in missing)
    unlabelled = missing_inputs(items([(0.9, None, 10)]), costs())
    assert [m.name for m in unlabelled] == ["ground-truth labels"]
    assert "deepscreen impact import labels" in unlabelled[0].supply
    unscored = missing_inputs(items([(None, True, 10)]), costs())
    assert [m.name for m in unscored] == ["scores"]


def test_every_action_off_says_why() -> None:
    rows = [(0.1, True, 1), (0.05, False, 1)]
    result = optimize_thresholds(items(rows), costs(remove=100, label=100, review=100))
    assert all(t == OFF for t in result.chosen.thresholds.values())
    assert result.notes and "every action is off" in result.notes[0]
    assert any(line.startswith("note: every action is off") for line in result.format_lines())
    assert result.to_dict()["notes"] == list(result.notes)
    assert not optimize_thresholds(items(FOUR), costs()).notes
    # removing the clean 0.9 item is cheap (1 < 90 of harm) but breaks FPR 0: off is forced
    rows = [(0.9, False, 100), (0.3, True, 1)]
    forced = optimize_thresholds(items(rows), costs(), max_fpr=0.0, actions=["remove"])
    assert forced.chosen.thresholds == {"remove": OFF}
    assert forced.unconstrained.thresholds["remove"] < OFF
    assert len(forced.notes) == 1 and "because of the constraints" in forced.notes[0]


def test_refuses_an_unreachable_constraint_saying_which_binds() -> None:
    with pytest.raises(OptimizationRefused, match="max_fpr -0.1 binds: the lowest reachable FPR"):
        optimize_thresholds(items(FOUR), costs(), max_fpr=-0.1)
    with pytest.raises(OptimizationRefused, match="review capacity -1/day binds"):
        optimize_thresholds(items(FOUR), costs(), review_capacity_per_day=-1)
    all_violating = [(0.9, True, 10), (0.5, True, 10)]
    with pytest.raises(OptimizationRefused, match="no scored labelled item is non-violating"):
        optimize_thresholds(items(all_violating), costs(), max_fpr=0.1)


def test_frontier_is_non_dominated_and_holds_the_choice() -> None:
    model = costs(remove=10.0, label=3.0, review=2.0)
    rows = [(s / 20, s % 3 == 0, 5 + s) for s in range(1, 20)]
    result = optimize_thresholds(
        items(rows), model, max_fpr=0.2, review_capacity_per_day=3, harm_prevented={"label": 0.7}
    )
    frontier = result.frontier
    assert result.chosen in frontier
    for a in frontier:
        for b in frontier:
            fa, fb = a.false_positive_rate or 0.0, b.false_positive_rate or 0.0
            strictly = (
                b.expected_cost < a.expected_cost - 1e-9
                and fb <= fa
                and b.review_per_day <= a.review_per_day
            )
            assert not strictly or a is result.chosen
    table = result.frontier_table()
    assert table.column_names[:3] == ["remove_min_score", "label_min_score", "review_min_score"]
    assert table.column("chosen").to_pylist().count(True) == 1
    text = "\n".join(result.format_lines())
    assert "← chosen" in text and "assumptions:" in text
    assert result.to_dict()["thresholds"] == dict(result.chosen.thresholds)


@pytest.mark.parametrize(
    ("above", "at_most", "expected"),
    [
        (0.3, 0.6, 0.4),
        (0.71, 0.72, 0.72),
        (None, 0.3, 0.1),
        (0.95, 1.0, 0.96),
        (0.999, 1.0, 0.9991),
        (0.6, 0.9, 0.7),
        (0.011, 0.015, 0.012),
    ],
)
def test_thresholds_are_short_decimals_between_scores(above, at_most, expected) -> None:
    assert shortest_between(above, at_most, lowest=0.01, below=OFF) == expected


def test_no_threshold_below_the_lowest_or_at_off() -> None:
    assert shortest_between(None, 0.005, lowest=0.01, below=OFF) is None
    assert shortest_between(1.0, 1.0, lowest=0.01, below=OFF) is None
    result = optimize_thresholds(
        items([(0.0, False, 10), (0.005, True, 10), (1.0, True, 10)]),
        costs(),
        lowest=0.01,
    )
    assert all(t >= 0.01 for t in result.chosen.thresholds.values())


def test_grid_is_capped() -> None:
    rows = [(n / 1000, n % 2 == 0, 10) for n in range(1, 1000)]
    result = optimize_thresholds(items(rows), costs(), max_grid=40)
    assert result.grid_size <= 40
    assert result.combinations <= 41**3


# --- properties ---------------------------------------------------------------------------

SCORES = st.integers(0, 16).map(lambda n: n / 16)  # exact binary fractions: no rounding ties
ROWS = st.lists(
    st.tuples(SCORES, st.booleans(), st.integers(0, 40)), min_size=1, max_size=14
).filter(
    # a non-violating item (for the FPR) and some views: without views the optimiser refuses
    lambda rows: any(not violating for _, violating, _ in rows) and any(v for _, _, v in rows)
)
COST = st.integers(0, 64).map(float)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=ROWS,
    c_remove=COST,
    raise_by=st.integers(1, 64).map(float),
    c_label=COST,
    c_review=COST,
    max_fpr=st.none() | st.sampled_from([0.0, 0.25, 0.5]),
    capacity=st.none() | st.integers(0, 6).map(float),
    prevented=st.sampled_from([1.0, 0.5, 0.25]),
)
def test_raising_the_cost_of_a_wrongful_removal_never_lowers_its_threshold(
    rows, c_remove, raise_by, c_label, c_review, max_fpr, capacity, prevented
) -> None:
    def chosen_remove(c: float) -> float:
        model = CostModel(
            review_cost_per_item=c_review,
            wrongful_action_cost={"remove": c, "label": c_label},
            harm_per_violating_view={"default": 0.25},
        )
        result = optimize_thresholds(
            items(rows),
            model,
            max_fpr=max_fpr,
            review_capacity_per_day=capacity,
            harm_prevented={"label": prevented},
        )
        return result.chosen.thresholds["remove"]

    assert chosen_remove(c_remove + raise_by) >= chosen_remove(c_remove)


@settings(max_examples=100, deadline=None)
@given(
    rows=ROWS,
    baseline=st.tuples(SCORES, SCORES, SCORES),
    max_fpr=st.none() | st.sampled_from([0.0, 0.5]),
    capacity=st.none() | st.integers(0, 4).map(float),
)
def test_no_thresholds_meeting_the_constraints_cost_less(rows, baseline, max_fpr, capacity):
    remove, label, review = sorted(baseline, reverse=True)
    result = optimize_thresholds(
        items(rows),
        costs(remove=7.0, label=2.0, review=1.5),
        max_fpr=max_fpr,
        review_capacity_per_day=capacity,
        harm_prevented={"label": 0.5},
        baseline={"remove": remove, "label": label, "review": review},
        lowest=0.0,
    )
    assert result.chosen.meets_constraints
    assert result.baseline is not None
    if result.baseline.meets_constraints:
        assert result.chosen.expected_cost <= result.baseline.expected_cost + 1e-9


@settings(max_examples=60, deadline=None)
@given(rows=ROWS, capacity=st.none() | st.integers(0, 4).map(float))
def test_grid_arithmetic_agrees_with_applying_the_thresholds(rows, capacity) -> None:
    model = costs(remove=5.0, label=2.0, review=1.0)
    first = optimize_thresholds(items(rows), model, review_capacity_per_day=capacity)
    again = optimize_thresholds(
        items(rows), model, review_capacity_per_day=capacity, baseline=first.chosen.thresholds
    )
    assert again.baseline is not None
    assert again.baseline.expected_cost == pytest.approx(first.chosen.expected_cost)
    assert again.baseline.items_per_action == first.chosen.items_per_action
    assert again.baseline.false_positives == first.chosen.false_positives
    assert again.baseline.review_per_day == pytest.approx(first.chosen.review_per_day)
