"""Report charts: self-contained SVG of the numbers given, None when there is nothing to plot."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from deepscreen.core.metrics import REGISTRY
from deepscreen.learn.metrics import evaluate
from deepscreen.report import charts

SVG_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
RAW_IDS = set(REGISTRY)
PERIODS = ("2026-W40", "2026-W41", "2026-W42")


def texts(svg: str | None, *expected: str) -> list[str]:
    """The SVG's text elements, in document order, after checking it is a clean inline SVG."""
    assert svg is not None
    assert svg.startswith("<svg") and "<?xml" not in svg
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", svg))
    assert urls <= SVG_NAMESPACES, urls - SVG_NAMESPACES
    root = ET.fromstring(svg)
    found = ["".join(el.itertext()) for el in root.iter("{http://www.w3.org/2000/svg}text")]
    joined = "\n".join(found)
    for text in expected:
        assert text in joined, f"{text!r} not among the chart's texts"
    return found


def row(
    period: str,
    metric: str,
    value: float | None,
    ci: tuple[float | None, float | None] = (None, None),
    n: int = 100,
    **keys: str,
) -> dict[str, Any]:
    return {
        "period": period,
        "policy_revision": keys.get("policy_revision", "all"),
        "segment": keys.get("segment", "all"),
        "metric": metric,
        "value": value,
        "ci_low": ci[0],
        "ci_high": ci[1],
        "n": n,
        "definition": f"definition of {metric}",
    }


@pytest.fixture(scope="module")
def metric_rows() -> list[dict[str, Any]]:
    rows = []
    for i, period in enumerate(PERIODS):
        rows += [
            row(period, "uploads", 900.0 + i, n=900 + i),
            row(period, "violating_per_10k_uploads", 120.0 + i, (80.0, 170.0 + i)),
            row(period, "actioned_label", 7.0 + i),
            row(period, "actioned_downrank", 2.0),
            row(period, "actioned_age_gate", 0.0),
            row(period, "actioned_remove", 3.0),
            row(period, "actioned_total", 12.0 + i),
            row(period, "sent_to_review", 4.0 + i),
            row(period, "time_to_detect_median_hours", 0.5, (0.2, 1.0)),
            row(period, "time_to_action_median_hours", 2.0 + i, (1.0, 3.5 + i)),
            row(period, "time_to_action_p90_hours", 9.0, (6.0, 14.0)),
            row(period, "views_before_action_0", 0.5, (0.3, 0.7), n=5),
            row(period, "views_before_action_over_1000", 0.5, (0.3, 0.7), n=5),
        ]
    rows += [
        row("all", "violating_per_10k_uploads", 121.0, (100.0, 140.0)),
        row("all", "cost_review_labour", 0.0),
        row("all", "views_before_action_0", 0.4, (0.25, 0.57), n=37),
        row("all", "views_before_action_1_10", 0.3, (0.17, 0.46), n=37),
        row("all", "views_before_action_11_100", 0.2, (0.1, 0.35), n=37),
        row("all", "views_before_action_101_1000", 0.1, (0.04, 0.24), n=37),
        row("all", "views_before_action_over_1000", 0.0, (0.0, 0.09), n=37),
        # Not rollup rows: never plotted.
        row("2026-W40", "violating_per_10k_uploads", 5e6, segment="news"),
        row("2026-W40", "sent_to_review", 5e6, policy_revision="r-1"),
    ]
    return rows


@pytest.fixture(scope="module")
def evaluation() -> dict[str, Any]:
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 300)
    scores = np.clip(rng.normal(0.3 + 0.4 * labels, 0.2), 0.0, 1.0)
    sources = rng.choice(["sdxl", "midjourney", "camera"], 300).tolist()
    return evaluate(labels, scores, sources=sources, n_boot=200, seed=1).to_dict()


@pytest.fixture(scope="module")
def comparison() -> dict[str, Any]:
    def metric(name: str, base: float | None, delta: float | None, verdict: str) -> dict[str, Any]:
        return {
            "metric": name,
            "baseline": base,
            "candidate": None if base is None or delta is None else base + delta,
            "delta": delta,
            "delta_ci_low": None if delta is None else delta - 0.05,
            "delta_ci_high": None if delta is None else delta + 0.05,
            "verdict": verdict,
            "definition": f"definition of {name}",
        }

    return {
        "baseline_revision": "r-base111",
        "candidate_revision": "r-cand222",
        "metrics": [
            metric("recall_any_action", 0.5, 0.1, "significant"),
            metric("false_positive_rate_any_action", 0.02, 0.001, "no significant change"),
            metric("actioned_remove", 0.0, 3.0, "significant"),
            metric("reviewer_hours", None, 1.0, "not estimable"),
            metric("precision_any_action", None, None, "not estimable"),
        ],
    }


@pytest.fixture(scope="module")
def frontier() -> list[dict[str, Any]]:
    return [
        {
            "thresholds": {"remove": 0.9 - 0.05 * i, "label": 0.6},
            "expected_cost": 1000.0 - 40.0 * i,
            "false_positive_rate": 0.004 * i,
            "review_per_day": 12.5 * i,
            "meets_constraints": i < 5,
        }
        for i in range(7)
    ]


@pytest.fixture(scope="module")
def simulation() -> dict[str, Any]:
    combos = ["default r-aaa", "strict r-bbb"]
    rows = [
        {
            "combination": combo,
            "metric": metric,
            "value": value * (1 + i),
            "ci_low": value * (1 + i) * 0.8,
            "ci_high": value * (1 + i) * 1.2,
            "n": 3,
            "delta": None,
            "delta_low": None,
            "delta_high": None,
        }
        for i, combo in enumerate(combos)
        for metric, value in (
            ("recall_any_action", 0.3),
            ("sent_to_review", 120.0),
            ("time_to_action_median_hours", 4.0),
            ("uploads", 28_000.0),
        )
    ]
    return {
        "simulated_note": "Simulated with scenario 'small', not measurements.",
        "combinations": combos,
        "rows": rows,
        "frontier": [],
    }


# --------------------------------------------------------------------------- impact metrics


def test_prevalence_per_period_rollup(metric_rows: list[dict[str, Any]]) -> None:
    found = texts(
        charts.prevalence_chart(metric_rows),
        "Prevalence of violating uploads",
        "Violating items per 10,000 uploads",
        "Upload week (ISO)",
        *PERIODS,
    )
    assert "all" not in found
    assert not any("5,000,000" in t for t in found)  # the segment row's value is not plotted


def test_prevalence_single_period_is_a_point_with_error_bar() -> None:
    only = [row("2026-10", "violating_per_10k_uploads", 50.0, (30.0, 80.0))]
    texts(charts.prevalence_chart(only), "2026-10", "Upload month")
    only_all = [row("all", "violating_per_10k_uploads", 50.0, (30.0, 80.0))]
    texts(charts.prevalence_chart(only_all), "Upload period: all")


def test_actions_by_action_and_review(metric_rows: list[dict[str, Any]]) -> None:
    texts(
        charts.actions_chart(metric_rows),
        "Actions per period",
        "Items per period (count)",
        "Items enforced with label",
        "Items enforced with age gate",
        "Items enforced with remove",
        "Items sent to human review",
    )


def test_views_before_action_prefers_period_all_in_bucket_order(
    metric_rows: list[dict[str, Any]],
) -> None:
    found = texts(
        charts.views_before_action_chart(metric_rows),
        "Views before action",
        "Enforced items with a view count (%)",
        "Views before the first restricting action (views)",
        "n = 37 enforced items",
        "all periods",
    )
    buckets = ["0", "1–10", "11–100", "101–1,000", ">1,000"]
    assert [found.index(b) for b in buckets] == sorted(found.index(b) for b in buckets)


def test_views_before_action_falls_back_to_latest_period(
    metric_rows: list[dict[str, Any]],
) -> None:
    weekly = [r for r in metric_rows if r["period"] != "all"]
    texts(charts.views_before_action_chart(weekly), "period 2026-W42", "n = 5 enforced")


def test_time_to_action_colours_by_measure(metric_rows: list[dict[str, Any]]) -> None:
    texts(
        charts.time_to_action_chart(metric_rows),
        "Time to detect and to action",
        "Time (hours)",
        "Median time to detect (hours)",
        "90th-percentile time to action (hours)",
    )


def test_review_load_adds_reviewer_hours_when_present(metric_rows: list[dict[str, Any]]) -> None:
    found = texts(charts.review_load_chart(metric_rows), "Review load per period")
    assert "Items sent to human review (count)" in found
    assert "Reviewer hours (items people reviewed)" not in found
    hours = [row(p, "reviewer_hours", 3.0, (2.0, 4.5)) for p in PERIODS]
    texts(charts.review_load_chart(metric_rows + hours), "Reviewer hours (items people reviewed)")


# --------------------------------------------------------------------------- comparison


def test_comparison_relative_to_baseline_without_zero_baselines(
    comparison: dict[str, Any],
) -> None:
    found = texts(
        charts.comparison_chart(comparison),
        "Policy comparison: change per metric",
        "Change relative to baseline (% of baseline)",
        "Recall (enforced: any restricting action)",
        "False-positive rate (enforced: any restricting action)",
        "2 metrics without a baseline not shown",
        "candidate r-cand222 vs baseline r-base111",
    )
    joined = "\n".join(found)
    assert "Items enforced with remove" not in joined  # baseline 0
    assert "Reviewer hours" not in joined  # baseline None
    assert "Precision" not in joined  # no delta
    assert not any(t in RAW_IDS for t in found)


def test_comparison_with_huge_changes_uses_symlog_axis(comparison: dict[str, Any]) -> None:
    huge = {
        "metrics": [
            {**comparison["metrics"][0]},
            {**comparison["metrics"][1], "delta": 0.5, "delta_ci_low": 0.4, "delta_ci_high": 0.6},
        ]
    }
    texts(charts.comparison_chart(huge), "symmetric log scale", "candidate vs baseline")


# --------------------------------------------------------------------------- evaluation


def test_roc_chart(evaluation: dict[str, Any]) -> None:
    auc = evaluation["metrics"]["auc"]["value"]
    texts(
        charts.roc_chart(evaluation),
        "ROC curve of the detector",
        "false-positive rate: real items flagged (%)",
        f"AUC {auc:.3f}",
        f"n = {evaluation['n']:,} items",
    )


def test_pr_chart(evaluation: dict[str, Any]) -> None:
    texts(
        charts.pr_chart(evaluation),
        "Precision-recall curve of the detector",
        "precision: flagged items that are AI (%)",
        "average precision",
    )


def test_reliability_chart(evaluation: dict[str, Any]) -> None:
    texts(
        charts.reliability_chart(evaluation),
        "Calibration of the detector",
        "mean predicted probability of AI (%)",
        "fraction AI-generated (%)",
        "dashed: perfect calibration",
    )


def test_per_source_recall_chart(evaluation: dict[str, Any]) -> None:
    sdxl = next(r for r in evaluation["per_source"] if r["source"] == "sdxl")
    texts(
        charts.per_source_recall_chart(evaluation),
        "Recall per source of AI-generated items",
        "recall: AI items flagged (%)",
        f"sdxl (n = {sdxl['positives']})",
        "at threshold 0.5",
    )


def test_evaluation_charts_skip_undefined_points(evaluation: dict[str, Any]) -> None:
    empty_bins = {**evaluation, "reliability": [{**evaluation["reliability"][0], "count": 0}]}
    empty_bins["reliability"][0].update(mean_predicted=None, fraction_positive=None)
    assert charts.reliability_chart(empty_bins) is None
    no_recall = {**evaluation, "per_source": [{**evaluation["per_source"][0], "recall": None}]}
    assert charts.per_source_recall_chart(no_recall) is None


# --------------------------------------------------------------------------- optimize, simulate


def test_frontier_chart_highlights_chosen(frontier: list[dict[str, Any]]) -> None:
    by_index = texts(
        charts.frontier_chart(frontier, "EUR", chosen=2),
        "Threshold trade-off: cost, false positives and review load",
        "Expected cost (EUR)",
        "False-positive rate: real items actioned (%)",
        "Review load (items a day)",
    )
    assert by_index.count("chosen") == 1
    flagged = [{**r, "chosen": i == 4} for i, r in enumerate(frontier)]
    assert texts(charts.frontier_chart(flagged, "USD"), "Expected cost (USD)").count("chosen") == 1
    assert "chosen" not in texts(charts.frontier_chart(frontier, "EUR"))


def test_frontier_chart_ids_are_prefixed_and_resolve(frontier: list[dict[str, Any]]) -> None:
    svg = charts.frontier_chart(frontier, "EUR")
    assert svg is not None
    ids = re.findall(r'\bid="([^"]+)"', svg)
    refs = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg)
    assert ids and all(re.match(r"c[0-9a-f]{10}-", i) for i in ids)
    assert {a or b for a, b in refs} <= set(ids)


def test_simulation_chart(simulation: dict[str, Any]) -> None:
    found = texts(
        charts.simulation_chart(simulation),
        "Policy combinations, simulated: headline metrics",
        "Simulated with scenario 'small', not measurements.",
        "Recall (enforced: any restricting action), %",
        "Items sent to human review (count)",
        "Median time to action (hours)",
        "default r-aaa",
        "strict r-bbb",
    )
    assert "Uploads (count)" not in found  # not a headline metric
    chosen = charts.simulation_chart(simulation, metrics=("uploads",))
    assert "Uploads (count)" in texts(chosen)
    assert charts.simulation_chart(simulation, metrics=("no_such_metric",)) is None


# --------------------------------------------------------------------------- no data, no chart

METRIC_CHARTS: list[tuple[Callable[[Any], str | None], str]] = [
    (charts.prevalence_chart, "violating_per_10k_uploads"),
    (charts.actions_chart, "actioned_label"),
    (charts.views_before_action_chart, "views_before_action_0"),
    (charts.time_to_action_chart, "time_to_action_median_hours"),
    (charts.review_load_chart, "sent_to_review"),
]
DICT_CHARTS: list[Callable[[Any], str | None]] = [
    charts.comparison_chart,
    charts.roc_chart,
    charts.pr_chart,
    charts.reliability_chart,
    charts.per_source_recall_chart,
    charts.simulation_chart,
]


@pytest.mark.parametrize(("chart", "metric"), METRIC_CHARTS, ids=[m for _, m in METRIC_CHARTS])
def test_metric_charts_none_without_data(chart: Callable[[Any], str | None], metric: str) -> None:
    assert chart([]) is None
    assert chart([row("2026-W40", "uploads", 10.0)]) is None  # not a metric it plots
    assert chart([row("2026-W40", metric, None, (0.0, 1.0))]) is None  # no value
    assert chart([row("2026-W40", metric, 1.0, segment="news")]) is None  # not a rollup row


@pytest.mark.parametrize("chart", DICT_CHARTS, ids=lambda f: f.__name__)
def test_dict_charts_none_without_data(chart: Callable[[Any], str | None]) -> None:
    assert chart(None) is None
    assert chart({}) is None


def test_empty_comparison_and_frontier() -> None:
    assert charts.comparison_chart({"metrics": []}) is None
    only_zero = {"metrics": [{"metric": "m", "baseline": 0.0, "delta": 1.0, "verdict": "x"}]}
    assert charts.comparison_chart(only_zero) is None
    assert charts.frontier_chart([], "EUR") is None
    assert charts.frontier_chart(None, "EUR") is None
    no_fpr = [{"expected_cost": 1.0, "false_positive_rate": None, "review_per_day": 1.0}]
    assert charts.frontier_chart(no_fpr, "EUR") is None
