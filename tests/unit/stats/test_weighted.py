"""Weighted estimators: stratified and Hájek proportions by hand, precision and recall of an
action, and a simulation of the whole design (sampling + estimators) on a known population."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.sampling import build_frame, design_sample
from deepscreen.stats.weighted import (
    StratumCounts,
    hajek_proportion,
    precision_of_action,
    recall_of_action,
    stratified_proportion,
    stratum_counts,
)

Z95 = 1.959963984540054


def test_stratified_point_and_variance_by_hand():
    counts = [StratumCounts("a", 100, 10, 2), StratumCounts("b", 300, 20, 10)]
    est = stratified_proportion(counts)
    # W = 1/4, 3/4; p̂ = 0.2, 0.5
    assert est.value == pytest.approx(0.25 * 0.2 + 0.75 * 0.5)
    variance = 0.25**2 * (1 - 10 / 100) * 0.2 * 0.8 / 9 + 0.75**2 * (1 - 20 / 300) * 0.25 / 19
    assert variance == pytest.approx(0.0079078947)
    assert est.se == pytest.approx(math.sqrt(variance))
    assert (est.low, est.high) == pytest.approx(
        (0.425 - Z95 * math.sqrt(variance), 0.425 + Z95 * math.sqrt(variance))
    )
    assert est.n == 30 and est.ess == pytest.approx(400**2 / (100**2 / 10 + 300**2 / 20))
    assert [s.variance_term for s in est.strata] == pytest.approx(
        [0.25**2 * 0.9 * 0.16 / 9, 0.75**2 * (14 / 15) * 0.25 / 19]
    )
    assert est.to_dict()["strata"][1]["proportion"] == 0.5


def test_census_stratum_adds_no_variance_and_single_unit_the_bound():
    est = stratified_proportion([StratumCounts("all", 10, 10, 3), StratumCounts("one", 5, 1, 1)])
    census, single = est.strata
    assert census.variance_term == 0.0
    assert single.variance_term == pytest.approx((5 / 15) ** 2 * (1 - 1 / 5) / 4)


def test_interval_is_clipped_to_the_unit_interval():
    none = stratified_proportion([StratumCounts("a", 100, 20, 0), StratumCounts("b", 100, 5, 0)])
    assert (none.value, none.low, none.high) == (0.0, 0.0, 0.0)
    rare = stratified_proportion([StratumCounts("a", 1000, 10, 1)])
    assert rare.low == 0.0 and rare.high > rare.value


def test_a_stratum_without_labels_is_refused_by_name():
    with pytest.raises(ValueError, match="strata without labelled units: b"):
        stratified_proportion([StratumCounts("a", 10, 2, 1), StratumCounts("b", 10, 0, 0)])
    with pytest.raises(ValueError, match="violating <= labelled <= population size"):
        StratumCounts("c", 5, 6, 1)


def test_stratum_counts_from_labelled_units():
    counts = stratum_counts(["a", "a", "b"], [True, False, True], {"a": 10, "b": 4, "c": 7})
    assert counts == (
        StratumCounts("a", 10, 2, 1),
        StratumCounts("b", 4, 1, 1),
        StratumCounts("c", 7, 0, 0),
    )
    with pytest.raises(ValueError, match="strata of unknown size: z"):
        stratum_counts(["z"], [True], {"a": 1})


def test_hajek_with_equal_weights_is_the_plain_mean():
    y = [True, False, False, True, True]
    est = hajek_proportion(y, [3.0] * 5)
    assert est.value == pytest.approx(0.6) and est.ess == pytest.approx(5)
    assert est.se == pytest.approx(math.sqrt(0.6 * 0.4 / 4))  # linearisation = SRS, no FPC


def test_hajek_with_unequal_weights_by_hand():
    est = hajek_proportion([1, 0, 1], [1.0, 2.0, 3.0])
    assert est.value == pytest.approx(4 / 6)
    assert est.ess == pytest.approx(36 / 14)
    z = np.array([1.0, 2.0, 3.0]) * (np.array([1, 0, 1]) - 4 / 6)
    assert est.se == pytest.approx(math.sqrt(3 / 2 * float(z @ z) / 36))
    assert hajek_proportion([1, 0, 1], [10.0, 20.0, 30.0]).value == pytest.approx(est.value)
    single = hajek_proportion([True], [2.0])
    assert (single.low, single.high, single.se) == (0.0, 1.0, None)
    with pytest.raises(ValueError, match="finite and > 0"):
        hajek_proportion([1, 0], [1.0, 0.0])


def test_precision_is_the_stratified_share_of_actioned_items_violating():
    est = precision_of_action([StratumCounts("hi", 50, 10, 9), StratumCounts("lo", 150, 10, 5)])
    assert est.value == pytest.approx(0.25 * 0.9 + 0.75 * 0.5)
    assert est.method == "stratified precision"


def test_recall_by_hand_with_a_bootstrap_interval():
    actioned = [StratumCounts("act", 100, 10, 8)]
    non = [StratumCounts("non:lo", 800, 20, 1), StratumCounts("non:hi", 100, 10, 5)]
    est = recall_of_action(actioned, non, seed=1)
    tp, fn = 100 * 0.8, 800 * 0.05 + 100 * 0.5
    assert (est.true_positives, est.false_negatives) == pytest.approx((tp, fn))
    assert est.value == pytest.approx(tp / (tp + fn))
    assert est.low < est.value < est.high and est.n == 40 and est.replicates == 2000
    assert est == recall_of_action(actioned, non, seed=1)  # seeded bootstrap
    assert est.to_dict()["precision"]["value"] == pytest.approx(0.8)


def test_recall_of_a_census_has_no_uncertainty():
    est = recall_of_action([StratumCounts("a", 5, 5, 4)], [StratumCounts("n", 4, 4, 1)])
    assert est.value == est.low == est.high == pytest.approx(0.8)


@pytest.mark.parametrize("non_actioned", [None, [], [StratumCounts("n", 50, 0, 0)]])
def test_recall_without_a_non_actioned_sample_says_it_is_needed(non_actioned):
    with pytest.raises(ValueError, match="recall needs labelled units from the NON-actioned"):
        recall_of_action([StratumCounts("a", 10, 5, 4)], non_actioned)


def test_recall_with_no_violation_anywhere_is_undefined():
    with pytest.raises(ValueError, match="recall is undefined"):
        recall_of_action([StratumCounts("a", 10, 5, 0)], [StratumCounts("n", 10, 5, 0)])


def synthetic_population(n: int = 5000) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(20260301)
    score = rng.beta(2, 3, n)
    truth = rng.random(n) < 1 / (1 + np.exp(-(score - 0.55) * 10))
    action = np.where(score >= 0.5, "remove", "allow")
    columns: dict[str, object] = {f.name: pa.nulls(n, f.type) for f in ITEM_SCHEMA}
    columns |= {
        "item_id": [f"i{i:05d}" for i in range(n)],
        "score": score,
        "action": action,
        "enforced": action == "remove",
    }
    return pa.Table.from_pydict(columns, schema=ITEM_SCHEMA), truth


@pytest.mark.slow
def test_stratified_sample_estimates_are_unbiased_and_intervals_cover():
    """1,000 samples (deciles per population, Neyman + floor, 5% exploration) of one synthetic
    population: mean estimates within Monte-Carlo error of the truth, 95% intervals covering
    it 93–97% of the time."""
    items, truth = synthetic_population()
    actioned = items.column("enforced").to_numpy(zero_copy_only=False)
    true_precision = truth[actioned].mean()
    true_recall = truth[actioned].sum() / truth.sum()
    frame = build_frame(items)
    row = {item: i for i, item in enumerate(items.column("item_id").to_pylist())}
    reps = 1000
    precision, recall = np.empty(reps), np.empty(reps)
    covered = np.zeros(2)
    for seed in range(reps):
        plan = design_sample(frame, size=800, seed=seed, sample_id="s", exploration_share=0.05)
        counts = {}
        for population in ("actioned", "non_actioned"):
            units = [u for u in plan.units if u.population == population]
            labels = [bool(truth[row[u.item_id]]) for u in units]
            sizes = plan.population_sizes(population)
            counts[population] = stratum_counts([u.stratum for u in units], labels, sizes)
        p = precision_of_action(counts["actioned"])
        r = recall_of_action(counts["actioned"], counts["non_actioned"], replicates=1000, seed=seed)
        precision[seed], recall[seed] = p.value, r.value
        covered += [p.low <= true_precision <= p.high, r.low <= true_recall <= r.high]
    for estimates, true in ((precision, true_precision), (recall, true_recall)):
        mc_error = estimates.std(ddof=1) / math.sqrt(reps)
        assert abs(estimates.mean() - true) < 3 * mc_error
    coverage = covered / reps
    assert np.all((0.93 <= coverage) & (coverage <= 0.97)), coverage
