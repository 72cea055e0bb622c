"""Impact statements: the no-overclaiming rules, each with a case that would break it."""

from __future__ import annotations

import re

import pytest

from deepscreen.report.statements import (
    NO_CHANGE,
    comparison_statements,
    metric_statements,
    significant,
    simulation_statements,
)


def _row(metric, baseline, candidate, low, high):
    return {
        "metric": metric,
        "baseline": baseline,
        "candidate": candidate,
        "delta": None if baseline is None or candidate is None else candidate - baseline,
        "delta_ci_low": low,
        "delta_ci_high": high,
        "verdict": "ignored: the rule reads the interval",
    }


def _comparison(*rows):
    return {
        "baseline_revision": "r-old",
        "candidate_revision": "r-7f3a",
        "candidate_name": "label-first",
        "items": 2000,
        "metrics": list(rows),
    }


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [(0.1, 0.3, True), (-0.3, -0.1, True), (-0.1, 0.2, False), (0.0, 0.2, False), (None, 1, None)],
)
def test_significance_is_read_off_the_interval(low, high, expected):
    assert significant(low, high) is expected


def test_a_change_whose_interval_excludes_zero_is_stated_with_its_numbers_and_rows():
    unactioned = _row("violating_unactioned_per_10k", 12.0, 2.0, -12.5, -7.5)
    fpr = _row("false_positive_rate", 0.009, 0.0091, -0.001, 0.0012)
    [first, second] = comparison_statements(_comparison(unactioned, fpr), synthetic=False)
    assert first.text.startswith("Policy label-first (r-7f3a) cut violating items left")
    assert "from 12.0 per 10,000 to 2.0 per 10,000" in first.text
    assert "95% CI −12.5 per 10,000 to −7.5 per 10,000" in first.text
    assert f"false-positive rate showed {NO_CHANGE} (0.9% before, 0.9% after" in first.text
    assert first.rows == (unactioned, fpr)
    assert first.source == "replay"
    assert second.text.startswith(f"Policy label-first (r-7f3a) made {NO_CHANGE} to the false")


def test_an_interval_covering_zero_is_no_significant_change_whatever_the_verdict_says():
    row = _row("recall", 0.50, 0.58, -0.01, 0.17)
    row["verdict"] = "significant"
    [statement] = comparison_statements(_comparison(row), synthetic=False)
    assert NO_CHANGE in statement.text
    assert "raised" not in statement.text and "cut" not in statement.text
    assert "which includes zero" in statement.text


def test_no_statement_without_an_interval_or_a_value():
    rows = [
        _row("recall", 0.5, 0.6, None, None),
        _row("precision", None, 0.9, -0.1, 0.1),
        _row("review_items", 5.0, 5.0, 0.0, 0.0),  # certainly no difference: nothing to say
    ]
    assert comparison_statements(_comparison(*rows), synthetic=False) == []


def test_synthetic_data_says_synthetic():
    row = _row("review_items", 39.0, 0.0, -51.0, -27.0)
    [statement] = comparison_statements(_comparison(row), synthetic=True)
    assert statement.text.startswith("On synthetic demo data, policy label-first")


def test_every_number_in_a_statement_comes_from_its_rows():
    row = _row("review_cost", 25.35, 0.0, -33.15, -17.55)
    [statement] = comparison_statements(_comparison(row), synthetic=False, currency="USD")
    text = statement.text.replace("r-7f3a", "").replace("r-old", "").replace("95% CI", "")
    numbers = {float(n.replace(",", "")) for n in re.findall(r"\d[\d,]*\.?\d*", text)}
    bound = {abs(v) for v in (25.35, 0.0, -25.35, -33.15, -17.55)} | {2000.0}
    assert numbers <= bound, numbers - bound


def _rollup(metric, value, low, high, n):
    return {
        "period": "all",
        "policy_revision": "all",
        "segment": "all",
        "metric": metric,
        "value": value,
        "ci_low": low,
        "ci_high": high,
        "n": n,
    }


def test_metric_statements_use_rollup_rows_and_skip_missing_intervals():
    rows = [
        _rollup("violating_per_10k_uploads", 2475.0, 2290.8, 2668.9, 2000),
        _rollup("false_positive_rate_any_action", 0.013, 0.008, 0.02, 1505),
        _rollup("recall_any_action", None, None, None, 0),
        {**_rollup("proactive_rate", 0.5, 0.4, 0.6, 10), "segment": "news"},
    ]
    statements = metric_statements(rows, synthetic=True)
    assert [s.rows[0]["metric"] for s in statements] == [
        "violating_per_10k_uploads",
        "false_positive_rate_any_action",
    ]
    assert statements[0].text == (
        "On synthetic demo data, violating items were 2,475.0 per 10,000 uploads "
        "(95% CI 2,290.8 to 2,668.9 per 10,000; 2,000 labelled items)."
    )
    assert all(s.source == "measured" for s in statements)


def test_simulated_numbers_say_simulated_and_name_the_scenario():
    sim = {
        "scenario": "small",
        "replications": 3,
        "combinations": ["default r-a", "candidate r-b"],
        "rows": [
            {"combination": "default r-a", "metric": "sent_to_review", "value": 116.0},
            {
                "combination": "candidate r-b",
                "metric": "sent_to_review",
                "value": 50.0,
                "delta": -66.0,
                "delta_low": -80.0,
                "delta_high": -52.0,
            },
            {"combination": "default r-a", "metric": "recall_any_action", "value": 0.2},
            {
                "combination": "candidate r-b",
                "metric": "recall_any_action",
                "value": 0.25,
                "delta": 0.05,
                "delta_low": -0.01,
                "delta_high": 0.11,
            },
        ],
    }
    statements = simulation_statements(sim)
    assert [s.source for s in statements] == ["simulated", "simulated"]
    assert all(
        s.text.startswith("Simulated (scenario small, 3 replications): ") for s in statements
    )
    assert "cut items sent to human review from 116 to 50" in statements[1].text
    assert NO_CHANGE in statements[0].text
    assert simulation_statements({"combinations": ["only one"], "rows": []}) == []
