"""Impact statements: the no-overclaiming rules, each with a case that would break it."""

from __future__ import annotations

import re

import pytest

from deepscreen.core.numbers import format_value
from deepscreen.report.statements import (
    NO_CHANGE,
    comparison_statements,
    fmt,
    metric_statements,
    significant,
    simulation_statements,
)

MINUTES = re.compile(r"\d\s*(min|minutes?)\b")
"""A duration printed in minutes (the statements print every duration in hours)."""


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
    fpr = _row("false_positive_rate_any_action", 0.009, 0.0091, -0.001, 0.0012)
    [first, second] = comparison_statements(_comparison(unactioned, fpr), synthetic=False)
    assert first.text.startswith("Policy label-first (r-7f3a) cut violating items left")
    assert "from 12 per 10,000 to 2 per 10,000" in first.text
    assert "95% CI −12.5 per 10,000 to −7.5 per 10,000" in first.text
    assert f"false-positive rate showed {NO_CHANGE} (0.90% before, 0.91% after" in first.text
    assert first.rows == (unactioned, fpr)
    assert first.source == "replay"
    assert second.text.startswith(f"Policy label-first (r-7f3a) made {NO_CHANGE} to the false")


def test_an_interval_covering_zero_is_no_significant_change_whatever_the_verdict_says():
    row = _row("recall_any_action", 0.50, 0.58, -0.01, 0.17)
    row["verdict"] = "significant"
    [statement] = comparison_statements(_comparison(row), synthetic=False)
    assert NO_CHANGE in statement.text
    assert "raised" not in statement.text and "cut" not in statement.text
    assert "which includes zero" in statement.text


def test_no_statement_without_an_interval_or_a_value():
    rows = [
        _row("recall_any_action", 0.5, 0.6, None, None),
        _row("precision_any_action", None, 0.9, -0.1, 0.1),
        _row("sent_to_review", 5.0, 5.0, 0.0, 0.0),  # certainly no difference: nothing to say
    ]
    assert comparison_statements(_comparison(*rows), synthetic=False) == []


def test_synthetic_data_says_synthetic():
    row = _row("sent_to_review", 39.0, 0.0, -51.0, -27.0)
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
        "On synthetic demo data, violating items were 2,475 per 10,000 uploads "
        "(95% CI 2,291 to 2,669 per 10,000; 2,000 labelled items)."
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


# --------------------------------------------------------------------------- one formatter


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (-6.39e-14, "count", "0"),
        (6.39e-14, "percent", "0%"),
        (-6.39e-14, "money", "0 USD"),
        (-6.39e-14, "hours", "0 h"),
        (0.0347, "hours", "0.0347 h"),
        (2.1, "hours", "2.1 h"),
        (0.845, "money", "0.84 USD"),  # cents, as prices are written
        (38_025.0, "money", "38,025 USD"),
        (0.0134, "percent", "1.3%"),
        (2475.0, "per10k", "2,475 per 10,000"),
    ],
)
def test_statements_print_numbers_with_the_one_formatter(value, unit, expected):
    assert fmt(value, unit, "USD") == expected


def test_statement_numbers_agree_with_table_cells():
    from deepscreen.report.formatting import comparison_cells

    row = _row("review_cost", 25.35, 0.0, -33.15, -17.55)
    [statement] = comparison_statements(_comparison(row), synthetic=False, currency="USD")
    before, after, _, _ = comparison_cells(row, "USD")
    assert (before, after) == (format_value(25.35, "money", currency="USD"), "0 USD")
    assert f"from {before} to {after}" in statement.text


def test_float_noise_is_zero_not_a_change():
    noise = -6.39e-14
    row = _row("review_cost", 25.35, 25.35 + noise, noise, -noise)
    row["delta"] = noise
    assert comparison_statements(_comparison(row), synthetic=False) == []  # nothing to say
    assert significant(noise, 3.0) is False  # a bound within noise of 0 is 0
    row = _row("review_cost", 25.35, 0.0, -33.15, noise)
    [statement] = comparison_statements(_comparison(row), synthetic=False, currency="USD")
    assert NO_CHANGE in statement.text and "e-" not in statement.text
    assert "95% CI −33.15 USD to 0," in statement.text


def test_durations_are_hours_never_minutes():
    rows = [_rollup("time_to_action_median_hours", 0.035, 0.02, 0.9, 288)]
    [statement] = metric_statements(rows, synthetic=False)
    assert "0.035 h (95% CI 0.02 h to 0.9 h" in statement.text
    assert not MINUTES.search(statement.text)
    sim = {
        "scenario": "small",
        "replications": 3,
        "combinations": ["a", "b"],
        "rows": [
            {"combination": "a", "metric": "time_to_action_median_hours", "value": 2.1},
            {
                "combination": "b",
                "metric": "time_to_action_median_hours",
                "value": 0.035,
                "delta": -2.065,
                "delta_low": -2.5,
                "delta_high": -1.5,
            },
        ],
    }
    [statement] = simulation_statements(sim)
    assert "from 2.1 h to 0.035 h" in statement.text
    assert not MINUTES.search(statement.text)
