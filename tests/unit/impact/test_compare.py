"""Policy comparison: hand-computed metrics on small aligned item tables, paired bootstrap."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from deepscreen.impact.compare import (
    COMPARISON_SCHEMA,
    DEFINITIONS,
    NO_CHANGE,
    NOT_ESTIMABLE,
    SIGNIFICANT,
    compare,
    definition,
)
from deepscreen.impact.costs import CostModel
from deepscreen.impact.items import ITEM_SCHEMA


def items(rows: list[dict[str, Any]]) -> pa.Table:
    """An ITEM_SCHEMA table; columns not given are null (views_total defaults to 0)."""
    full = [{"views_total": 0, **row} for row in rows]
    return pa.Table.from_pylist(full, schema=ITEM_SCHEMA)


def row(
    item_id: str,
    action: str,
    violating: bool | None,
    *,
    enforced_action: str | None = None,
    views: int = 0,
    before: int | None = None,
    segment: str = "art",
) -> dict[str, Any]:
    enforced = enforced_action is not None
    return {
        "item_id": item_id,
        "action": action,
        "violating": violating,
        "enforced": enforced,
        "enforced_action": enforced_action,
        "views_total": views,
        "views_before_action": before if enforced else None,
        "segment": segment,
    }


# a: removed violating; b: violating, allowed (candidate: removed at decision time, 20 views);
# c: labelled wrongly (candidate: allowed); d: unlabelled, sent to review;
# e: clean, allowed (candidate: sent to review, no recorded review); f: violating, sent to
# review, confirmed (enforced at review time) in both.
BASELINE = items(
    [
        row("a", "remove", True, enforced_action="remove", views=10, before=2, segment="news"),
        row("b", "allow", True, views=50),
        row("c", "label", False, enforced_action="label", views=20, before=5),
        row("d", "review", None, views=7),
        row("e", "allow", False, views=3),
        row("f", "review", True, enforced_action="remove", views=40, before=30, segment="news"),
    ]
)
CANDIDATE = items(
    [
        row("a", "remove", True, enforced_action="remove", views=10, before=2, segment="news"),
        row("b", "remove", True, enforced_action="remove", views=50, before=20),
        row("c", "allow", False, views=20),
        row("d", "review", None, views=7),
        row("e", "review", False, views=3),
        row("f", "review", True, enforced_action="remove", views=40, before=30, segment="news"),
    ]
)
COST_INPUTS: dict[str, Any] = {
    "currency": "EUR",
    "review_cost_per_item": 2.0,
    "wrongful_action_cost": {"remove": 10.0, "default": 1.0},
    "harm_per_violating_view": {"default": 0.1, "high": 1.0},
    "severity_by_segment": {"news": "high"},
}
COSTS = CostModel.from_mapping(COST_INPUTS)
COST_ROWS = {"review_cost", "wrongful_action_cost", "harm", "total_cost"}


def costs(**changes: Any) -> CostModel:
    return CostModel.from_mapping({**COST_INPUTS, **changes})


EXPECTED = {
    # metric: (baseline, candidate)
    "action_share.allow": (2 / 6, 1 / 6),
    "action_share.label": (1 / 6, 0.0),
    "action_share.remove": (1 / 6, 2 / 6),
    "action_share.review": (2 / 6, 3 / 6),
    "sent_to_review": (2, 3),
    "actioned_total": (3, 3),
    "precision_any_action": (2 / 3, 1.0),
    "recall_any_action": (2 / 3, 1.0),
    "false_positive_rate_any_action": (1 / 2, 0.0),
    "violating_unactioned_per_10k": (2_000.0, 0.0),
    "views_before_action_mean_violating": (16.0, 52 / 3),
    "violating_exposure": (82, 52),
    "review_cost": (4.0, 6.0),
    "wrongful_action_cost": (1.0, 0.0),  # c: label, no own cost → default 1
    "harm": (2 * 1.0 + 50 * 0.1 + 30 * 1.0, 2 * 1.0 + 20 * 0.1 + 30 * 1.0),
    "total_cost": (4 + 1 + 37, 6 + 0 + 34),
}


def test_every_metric_matches_the_hand_computed_values() -> None:
    result = compare(BASELINE, CANDIDATE, n_boot=500, costs=COSTS)
    assert [r.metric for r in result.rows] == list(EXPECTED)
    for metric, (base, cand) in EXPECTED.items():
        r = result.row(metric)
        assert r.baseline == pytest.approx(base), metric
        assert r.candidate == pytest.approx(cand), metric
        assert r.delta == pytest.approx(cand - base), metric
        assert r.ci_low is not None and r.ci_high is not None
        assert r.ci_low <= r.delta <= r.ci_high, metric
    assert (result.items, result.labelled, result.violating) == (6, 5, 3)


def test_identical_tables_give_degenerate_zero_intervals() -> None:
    result = compare(BASELINE, BASELINE, n_boot=300, costs=COSTS)
    for r in result.rows:
        assert r.delta == 0.0 and (r.ci_low, r.ci_high) == (0.0, 0.0), r.metric
        assert r.verdict == NO_CHANGE


def test_a_large_clear_difference_is_significant() -> None:
    n = 1_000
    base = items([row(f"i{i}", "allow", i % 2 == 0, views=10) for i in range(n)])
    cand = items(
        [
            row(f"i{i}", "remove", True, enforced_action="remove", views=10, before=1)
            if i % 2 == 0
            else row(f"i{i}", "allow", False, views=10)
            for i in range(n)
        ]
    )
    result = compare(base, cand, n_boot=1_000, seed=3)
    assert result.row("action_share.remove").verdict == SIGNIFICANT
    assert (
        result.row("recall_any_action").delta == 1.0
        and result.row("recall_any_action").verdict == SIGNIFICANT
    )
    assert result.row("violating_exposure").delta == pytest.approx(-(500 * 10 - 500))
    assert result.row("violating_exposure").verdict == SIGNIFICANT
    assert result.row("false_positive_rate_any_action").verdict == NO_CHANGE  # 0 both ways
    assert result.row("precision_any_action").verdict == NOT_ESTIMABLE  # baseline enforced nothing
    assert (
        result.row("precision_any_action").baseline is None
        and result.row("precision_any_action").candidate == 1.0
    )


def test_small_noisy_difference_is_not_significant() -> None:
    base = items([row(f"i{i}", "allow", None) for i in range(200)])
    cand = items([row(f"i{i}", "review" if i == 7 else "allow", None) for i in range(200)])
    r = compare(base, cand, n_boot=1_000).row("sent_to_review")
    assert r.delta == 1.0 and r.ci_low == 0.0 and r.verdict == NO_CHANGE


def test_candidate_rows_are_aligned_on_item_id() -> None:
    shuffled = CANDIDATE.take(pa.array([5, 3, 1, 0, 2, 4]))
    a = compare(BASELINE, CANDIDATE, n_boot=200).to_table()
    b = compare(BASELINE, shuffled, n_boot=200).to_table()
    assert a.equals(b)
    with pytest.raises(ValueError, match="same items"):
        compare(BASELINE, CANDIDATE.slice(0, 5), n_boot=200)


def test_without_costs_there_are_no_cost_rows() -> None:
    result = compare(BASELINE, CANDIDATE, n_boot=200)
    assert not {"review_cost", "wrongful_action_cost", "harm", "total_cost"} & {
        r.metric for r in result.rows
    }
    assert result.costs is None and result.to_dict()["costs"] is None
    assert result.cost_notes == () and result.to_dict()["cost_assumptions"] == []


def test_cost_deltas_with_complete_inputs_are_hand_computed() -> None:
    result = compare(BASELINE, CANDIDATE, n_boot=300, costs=COSTS)
    # review: (3 − 2) items × 2; wrongful: c's label (default 1) is gone; harm: b's exposure
    # 50 → 20 views at the 'default' rate 0.1 (segment art has no severity)
    deltas = {"review_cost": 2.0, "wrongful_action_cost": -1.0, "harm": -3.0, "total_cost": -2.0}
    for metric, delta in deltas.items():
        assert result.row(metric).delta == pytest.approx(delta), metric
    assert result.cost_notes == ()


def test_a_missing_wrongful_action_cost_is_never_a_silent_zero() -> None:
    # e is clean; the candidate removes it, and removal has no cost and there is no default
    candidate = items(
        [
            *CANDIDATE.slice(0, 4).to_pylist(),
            row("e", "remove", False, enforced_action="remove", views=3, before=0),
            *CANDIDATE.slice(5).to_pylist(),
        ]
    )
    model = costs(wrongful_action_cost={"label": 1.0})
    result = compare(BASELINE, candidate, n_boot=200, costs=model)
    metrics = {r.metric for r in result.rows}
    assert "wrongful_action_cost" not in metrics and "total_cost" not in metrics
    assert {"review_cost", "harm"} <= metrics  # their inputs are complete
    [wrongful, total] = result.cost_notes
    assert wrongful.startswith("wrongful_action_cost not computed")
    assert "[costs].wrongful_action_cost.remove" in wrongful and "by the candidate" in wrongful
    assert total.startswith("total_cost not computed")
    as_dict = result.to_dict()
    assert as_dict["cost_notes"] == list(result.cost_notes)
    assert any("wrongful_action_cost.label" in a for a in as_dict["cost_assumptions"])
    # the same costs on the baseline alone (label is priced) give the row
    same = compare(BASELINE, BASELINE, n_boot=200, costs=model)
    assert same.row("wrongful_action_cost").baseline == pytest.approx(1.0)
    assert same.cost_notes == ()


def test_a_severity_without_a_rate_does_not_fall_back_to_default() -> None:
    model = costs(harm_per_violating_view={"default": 0.1})  # news is 'high': no rate
    result = compare(BASELINE, CANDIDATE, n_boot=200, costs=model)
    assert not {"harm", "total_cost"} & {r.metric for r in result.rows}
    assert "[costs].harm_per_violating_view.high" in result.cost_notes[0]
    assert "segments news" in result.cost_notes[0]


def test_review_cost_per_item_from_hourly_rate_and_minutes() -> None:
    model = costs(review_cost_per_item=None, reviewer_cost_per_hour=30.0, review_minutes_per_item=2)
    r = compare(BASELINE, CANDIDATE, n_boot=200, costs=model).row("review_cost")
    assert (r.baseline, r.candidate) == (pytest.approx(2 * 1.0), pytest.approx(3 * 1.0))


def test_without_any_cost_input_every_needed_row_is_left_out_with_its_reason() -> None:
    result = compare(BASELINE, CANDIDATE, n_boot=200, costs=CostModel())
    assert not COST_ROWS & {r.metric for r in result.rows}
    notes = " ".join(result.cost_notes)
    assert "[costs].review_cost_per_item" in notes
    assert "[costs].wrongful_action_cost.label" in notes and "by the baseline" in notes
    assert "[costs].harm_per_violating_view.default" in notes  # no severities: all default
    # a cost nothing needs is exactly 0, not missing: no review, no label, no violating item
    quiet = items([row("x", "allow", None), row("y", "label", None, enforced_action="label")])
    zero = compare(quiet, quiet, n_boot=100, costs=CostModel())
    assert {r.metric: r.baseline for r in zero.rows if r.metric in COST_ROWS} == dict.fromkeys(
        ["review_cost", "wrongful_action_cost", "harm", "total_cost"], 0.0
    )


def test_table_and_dict_outputs_carry_definitions() -> None:
    result = compare(BASELINE, CANDIDATE, n_boot=200, seed=5, costs=COSTS)
    table = result.to_table()
    assert table.schema == COMPARISON_SCHEMA and table.num_rows == len(result.rows)
    as_dict = result.to_dict()
    assert as_dict["bootstrap"]["replicates"] == 200 and as_dict["bootstrap"]["seed"] == 5
    assert as_dict["costs"]["currency"] == "EUR"
    for metric in as_dict["metrics"]:
        assert metric["definition"] == definition(metric["metric"])
        if not metric["metric"].startswith("action_share."):
            assert metric["definition"] == DEFINITIONS[metric["metric"]]
    assert "custom" in definition("action_share.custom")


def test_same_seed_same_intervals() -> None:
    first = compare(BASELINE, CANDIDATE, n_boot=300, seed=1).to_table()
    assert first.equals(compare(BASELINE, CANDIDATE, n_boot=300, seed=1).to_table())


@pytest.mark.slow
def test_paired_bootstrap_of_100k_items_takes_seconds() -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    actions = rng.choice(["allow", "label", "remove", "review"], n, p=[0.7, 0.15, 0.05, 0.1])
    enforced = np.isin(actions, ["label", "remove"])
    labelled = rng.random(n) < 0.3
    views = rng.integers(0, 1_000, n)
    base = pa.table(
        {
            "item_id": pa.array([f"i{i}" for i in range(n)]),
            "action": pa.array(actions),
            "violating": pa.array(rng.random(n) < 0.1, mask=~labelled),
            "enforced": pa.array(enforced),
            "enforced_action": pa.array(np.where(enforced, actions, None)),
            "views_total": pa.array(views),
            "views_before_action": pa.array(views // 2, mask=~enforced),
            "segment": pa.array(rng.choice(["news", "art"], n)),
        }
    )
    changed = actions.copy()
    changed[rng.random(n) < 0.05] = "review"
    cand = base.set_column(1, "action", pa.array(changed))
    start = time.perf_counter()
    result = compare(base, cand, n_boot=2_000, costs=COSTS)
    elapsed = time.perf_counter() - start
    assert result.row("action_share.review").verdict == SIGNIFICANT
    assert elapsed < 30, f"took {elapsed:.1f}s"
