"""Sweeps and policy comparisons: spec parsing, combination order, and deltas paired by seed
(hand-checked on a fake ``replicate``, then on real runs of a tiny scenario)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import yaml
from scipy import stats

from deepscreen.bootstrap import default_policy_dir
from deepscreen.core.errors import ConfigError
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.simulate.replicate import Replicated, replicate
from deepscreen.simulate.run import RunResult
from deepscreen.simulate.scenario import Scenario, load_scenario
from deepscreen.simulate.sweep import (
    FRONTIER_METRICS,
    bundle_label,
    combinations,
    compare_policies,
    parse_sweep,
    run_sweep,
)

SIGNALS = ["c2pa", "hashmatch", "metadata", "watermark", "learned", "ensemble"]
T975 = {2: float(stats.t.ppf(0.975, 1)), 3: float(stats.t.ppf(0.975, 2))}


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario("small").with_overrides({"days": 1, "uploads.per_day": 2000})


@pytest.fixture(scope="module")
def bundle() -> Bundle:
    return load_bundle(default_policy_dir(), known_signals=SIGNALS)


@pytest.fixture(scope="module")
def reviewing(tmp_path_factory: pytest.TempPathFactory) -> Bundle:
    """The default bundle plus a rule sending high model scores to review."""
    directory = tmp_path_factory.mktemp("bundles") / "reviewing"
    shutil.copytree(default_policy_dir(), directory)
    (directory / "policy_test.yaml").unlink()
    path = directory / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    rule = {
        "id": "review_likely_ai",
        "when": "!signals.learned.abstained && signals.learned.score >= 0.8",
        "action": {"type": "review", "queue": "synthetic_media"},
    }
    policy["rules"].append(rule)
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return load_bundle(Path(directory), known_signals=SIGNALS)


# --------------------------------------------------------------------------- parse_sweep


def test_parse_sweep_keeps_keys_and_values_in_order() -> None:
    assert parse_sweep(["detection_latency=2s,1s", "reviewers = 3, 6", "days=2"]) == [
        ("detection_latency", ["2s", "1s"]),
        ("reviewers", ["3", "6"]),
        ("days", ["2"]),
    ]
    assert parse_sweep([]) == []


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["reviewers"], "has no '='"),
        (["=3,6"], "needs a key"),
        (["two words=1"], "needs a key"),
        (["reviewers="], "empty value"),
        (["reviewers=3,,6"], "empty value"),
        (["reviewers=3,"], "empty value"),
        (["reviewers=3,6,3"], "lists 3 more than once"),
        (["reviewers=3", "reviewers=6"], "swept twice"),
    ],
)
def test_parse_sweep_refuses_bad_syntax(specs: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_sweep(specs)


# --------------------------------------------------------------------------- combinations


def test_combinations_are_the_product_first_values_first(tiny: Scenario) -> None:
    plan = combinations(tiny, parse_sweep(["detection_latency=2s,500ms", "reviewers=3,6,0"]))
    assert [c.label for c in plan] == [
        "detection_latency=2s reviewers=3",
        "detection_latency=2s reviewers=6",
        "detection_latency=2s reviewers=0",
        "detection_latency=500ms reviewers=3",
        "detection_latency=500ms reviewers=6",
        "detection_latency=500ms reviewers=0",
    ]
    assert [c.scenario.latency.async_model_seconds for c in plan] == [2.0] * 3 + [0.5] * 3
    assert [c.scenario.review.reviewers for c in plan] == [3, 6, 0, 3, 6, 0]
    assert plan[1].values == {"detection_latency": "2s", "reviewers": "6"}
    assert all(c.scenario.seed == tiny.seed for c in plan)
    assert plan[4].scenario.review.sources["reviewers"].startswith("override: review.reviewers")
    [alone] = combinations(tiny, [])
    assert alone.label == "small" and alone.scenario is tiny and alone.values == {}


def test_dotted_paths_and_numbers_are_converted(tiny: Scenario) -> None:
    plan = combinations(tiny, [("review.items_per_reviewer_hour", ["12.5", "30"]), ("days", ["2"])])
    assert [c.scenario.review.items_per_reviewer_hour for c in plan] == [12.5, 30.0]
    assert [c.scenario.days for c in plan] == [2, 2]


def test_every_bad_override_is_reported_before_anything_runs(tiny: Scenario) -> None:
    with pytest.raises(ConfigError) as caught:
        combinations(tiny, [("reviewers", ["3", "-1"]), ("nope", ["1"])])
    text = str(caught.value)
    assert "unknown override path 'nope'" in text
    assert text.count("unknown override path 'nope'") == 1  # one line per distinct problem
    with pytest.raises(ConfigError, match="review.reviewers"):
        combinations(tiny, [("reviewers", ["3", "-1"])])
    with pytest.raises(ConfigError, match="pairing"):
        combinations(tiny, [("seed", ["1", "2"])])


# --------------------------------------------------------------------------- paired deltas


def fake_run(seed: int, truths: Mapping[str, float]) -> RunResult:
    metrics = pa.table(
        {
            "policy_revision": pa.array([], pa.string()),
            "segment": pa.array([], pa.string()),
            "metric": pa.array([], pa.string()),
            "value": pa.array([], pa.float64()),
        }
    )
    return RunResult(seed, pa.table({}), metrics, dict(truths), np.zeros(0), {})


def fake_replicate(
    values: Mapping[str, Sequence[Mapping[str, float]]],
) -> tuple[Callable[..., Replicated], list[tuple[str, int]]]:
    """A ``replicate`` returning ``values[label][r]`` as replication r's truths."""
    calls: list[tuple[str, int]] = []

    def run(
        scenario: Scenario,
        bundle: Bundle,
        *,
        replications: int,
        label: str = "",
        signal_names: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Replicated:
        calls.append((label, replications))
        runs = []
        for r in range(replications):
            if progress is not None:
                progress(scenario.days)
            runs.append(fake_run(scenario.seed + r, values[label][r]))
        return Replicated(label, tuple(runs))

    return run, calls


def test_deltas_are_paired_by_replication(tiny: Scenario, bundle: Bundle) -> None:
    first = [{"x": 10.0, "y": 1.0}, {"x": 20.0, "y": 2.0}, {"x": 30.0}]
    second = [{"x": 12.0, "y": 5.0}, {"x": 21.0}, {"x": 33.0, "y": 9.0}]
    replicate_fn, calls = fake_replicate({"reviewers=3": first, "reviewers=6": second})
    ticks: list[int] = []
    result = run_sweep(
        tiny,
        bundle,
        [("reviewers", ["3", "6"])],
        replications=3,
        progress=ticks.append,
        replicate_fn=replicate_fn,
    )
    assert calls == [("reviewers=3", 3), ("reviewers=6", 3)]
    assert sum(ticks) == tiny.days * 3 * 2
    assert result.seeds == (tiny.seed, tiny.seed + 1, tiny.seed + 2)
    rows = {(r["combination"], r["metric"]): r for r in result.table()}
    assert len(rows) == 4
    reference = rows["reviewers=3", "x"]
    assert reference["value"] == 20.0 and reference["n"] == 3
    half = T975[3] * 10.0 / np.sqrt(3)  # sd of 10, 20, 30 is 10
    assert 20.0 - half < 0  # a symmetric interval would reach below zero…
    assert reference["ci_low"] == 0.0  # …which no summary quantity can
    assert reference["ci_high"] == pytest.approx(20.0 + half)
    assert reference["delta"] is reference["delta_low"] is reference["delta_high"] is None
    # x: deltas per replication are 2, 1, 3 → mean 2, sd 1 — far narrower than either value's CI
    x = rows["reviewers=6", "x"]
    assert x["value"] == 22.0 and x["n"] == 3
    assert x["delta"] == pytest.approx(2.0)
    assert x["delta_low"] == pytest.approx(2.0 - T975[3] / np.sqrt(3))
    assert x["delta_high"] == pytest.approx(2.0 + T975[3] / np.sqrt(3))
    assert x["ci_high"] - x["ci_low"] > 8 * (x["delta_high"] - x["delta_low"])  # low clipped at 0
    # y: only replication 0 has it in both (5 − 1 = 4): one pair, no interval
    y = rows["reviewers=6", "y"]
    assert y["value"] == 7.0 and y["n"] == 2
    assert (y["delta"], y["delta_low"], y["delta_high"]) == (4.0, None, None)
    assert set(rows["reviewers=3", "y"]) == {
        "combination",
        "metric",
        "value",
        "ci_low",
        "ci_high",
        "n",
        "delta",
        "delta_low",
        "delta_high",
    }
    assert [r["metric"] for r in result.table(["y", "missing", "x"])] == ["y", "x"] * 2
    assert result.replicated is None


def test_frontier_has_one_row_per_combination(tiny: Scenario, bundle: Bundle) -> None:
    values = {
        f"detection_latency={d} reviewers={n}": [{"sent_to_review": float(n), "x": 1.0}] * 2
        for d in ("2s", "1s")
        for n in (3, 6)
    }
    replicate_fn, _ = fake_replicate(values)
    sweeps = parse_sweep(["detection_latency=2s,1s", "reviewers=3,6"])
    result = run_sweep(tiny, bundle, sweeps, replications=2, replicate_fn=replicate_fn)
    frontier = result.frontier()
    assert [row["combination"] for row in frontier] == list(values)
    assert frontier[1] == {
        "combination": "detection_latency=2s reviewers=6",
        "detection_latency": "2s",
        "reviewers": "6",
        **{name: None for name in FRONTIER_METRICS if name != "sent_to_review"},
        "sent_to_review": 6.0,
    }
    assert list(frontier[1])[3:] == list(FRONTIER_METRICS)


def test_compare_policies_puts_the_baseline_first(tiny: Scenario, bundle: Bundle) -> None:
    label = bundle_label(bundle)
    assert label.startswith("default r-") and label.endswith(bundle.revision)
    labels = [f"{label} (baseline)", f"{label} (candidate)"]
    replicate_fn, calls = fake_replicate(
        {labels[0]: [{"x": 1.0}, {"x": 2.0}], labels[1]: [{"x": 4.0}, {"x": 4.0}]}
    )
    result = compare_policies(tiny, bundle, bundle, replications=2, replicate_fn=replicate_fn)
    assert result.labels == tuple(labels) and [c[0] for c in calls] == labels
    [_, candidate] = result.table()
    assert candidate["combination"] == labels[1]
    assert candidate["delta"] == 2.5  # (4 − 1 + 4 − 2) / 2
    assert candidate["delta_low"] == pytest.approx(2.5 - T975[2] * np.sqrt(0.5) / np.sqrt(2))


def test_replications_must_be_positive(tiny: Scenario, bundle: Bundle) -> None:
    with pytest.raises(ValueError, match="replication"):
        run_sweep(tiny, bundle, [], replications=0)
    with pytest.raises(ValueError, match="replication"):
        compare_policies(tiny, bundle, bundle, replications=0)


# --------------------------------------------------------------------------- real runs


def test_real_sweep_deltas_match_the_replications(tiny: Scenario, reviewing: Bundle) -> None:
    sweeps = [("reviewers", ["3", "0"])]
    result = run_sweep(
        tiny, reviewing, sweeps, replications=2, signal_names=SIGNALS, keep_runs=True
    )
    assert result.replicated is not None
    assert [rep.label for rep in result.replicated] == ["reviewers=3", "reviewers=0"]
    # replication r draws the same items in both combinations: upload counts are paired exactly
    for a, b in zip(*(rep.runs for rep in result.replicated), strict=True):
        assert a.seed == b.seed and a.items.num_rows == b.items.num_rows
    rows = {(r["combination"], r["metric"]): r for r in result.table()}
    uploads = rows["reviewers=0", "uploads"]
    assert (uploads["delta"], uploads["delta_low"], uploads["delta_high"]) == (0.0, 0.0, 0.0)
    assert rows["reviewers=3", "sent_to_review"]["value"] > 0
    # no reviewers: nothing confirmed, so more violating views and nothing removed by review
    assert rows["reviewers=0", "violating_views_realised"]["delta"] > 0
    assert rows["reviewers=0", "review_backlog_final"]["delta"] > 0
    for metric in ("sent_to_review", "violating_views_realised", "cost_net_value"):
        by_hand = [
            b.summary()[metric] - a.summary()[metric]
            for a, b in zip(*(rep.runs for rep in result.replicated), strict=True)
        ]
        assert rows["reviewers=0", metric]["delta"] == pytest.approx(np.mean(by_hand))
    direct = replicate(tiny, reviewing, replications=2, signal_names=SIGNALS)
    assert rows["reviewers=3", "sent_to_review"]["value"] == pytest.approx(
        np.mean([run.summary()["sent_to_review"] for run in direct.runs])
    )


def test_paired_differences_within_floating_point_rounding_are_zero() -> None:
    from deepscreen.simulate.sweep import _difference

    assert _difference(632_088.4 + 1.9e-8, 632_088.4) == 0.0
    assert _difference(632_088.4 + 1e-3, 632_088.4) == pytest.approx(1e-3)
    assert _difference(0.0, 0.0) == 0.0
    assert _difference(1e-12, 0.0) == pytest.approx(1e-12)
