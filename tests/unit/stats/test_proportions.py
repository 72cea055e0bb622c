"""One proportion interval for every caller: textbook values, no estimate without trials, and
the same interval at zero counts from stats, learn's detector evaluation and the metric table."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metrics import metric_table
from deepscreen.learn.metrics import _rate_estimate, evaluate
from deepscreen.service.review_gold import _share
from deepscreen.stats import RULE_OF_THREE, proportion, proportion_bounds

SRC = Path(__file__).parents[3] / "src" / "deepscreen"
T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)


def test_wilson_matches_textbook_value() -> None:
    # Wilson 95% for 8/10: (0.4902, 0.9433) (Newcombe 1998, Table I).
    r = proportion(8, 10)
    assert r.value == pytest.approx(0.8)
    assert r.low == pytest.approx(0.4902, abs=1e-4)
    assert r.high == pytest.approx(0.9433, abs=1e-4)


def test_no_estimate_when_n_is_zero() -> None:
    assert proportion(0, 0).value is None
    with pytest.raises(ValueError):
        proportion(3, 2)


def _labelled_items(n: int) -> pa.Table:
    """``n`` images labelled not violating (prevalence 0 of n); other columns null."""
    label = {"ingested_at": T0, "policy_revision": "rev-a", "segment": "news", "violating": False}
    return pa.Table.from_pylist([{"item_id": f"i{i}", **label} for i in range(n)], ITEM_SCHEMA)


@pytest.mark.parametrize("n", [3, 20])
def test_every_caller_gives_the_same_interval_at_zero_counts(n: int) -> None:
    """Rule of three at 0 of n wherever a proportion is printed: a second Wilson path (e.g.
    statsmodels' z²/(n + z²) upper bound at k = 0) would fail this."""
    expected = proportion(0, n)
    assert expected.method == RULE_OF_THREE
    assert (expected.value, expected.low) == (0.0, 0.0)
    assert expected.high == pytest.approx(1 - 0.05 ** (1 / n), abs=1e-15)
    triple = (expected.value, expected.low, expected.high)

    value, low, high = proportion_bounds([0], [n])
    assert (float(value[0]), float(low[0]), float(high[0])) == triple

    learn = _rate_estimate(np.zeros(n, dtype=bool), 0.95)
    assert (learn.value, learn.low, learn.high) == triple
    labels = [1] * 2 + [0] * n
    scores = [0.9] * 2 + [0.1] * n
    report = evaluate(labels, scores, sources=["s"] * (n + 2), n_boot=10)
    fpr = report.per_source[0]["fpr"]
    assert (fpr.value, fpr.low, fpr.high) == triple

    row = next(
        r
        for r in metric_table(_labelled_items(n)).to_pylist()
        if r["metric"] == "violating_per_10k_uploads"
        and (r["policy_revision"], r["segment"]) == ("all", "all")
    )
    assert row["n"] == n
    assert (row["value"], row["ci_low"]) == (0.0, 0.0)
    assert row["ci_high"] == pytest.approx(expected.high * 10_000, rel=1e-12)

    review = _share(0, n, 0.95)
    assert (review.value, review.low, review.high) == triple


def test_no_second_proportion_interval_in_the_code() -> None:
    """Only deepscreen.stats computes proportion intervals: no other module imports
    statsmodels' ``proportion_confint`` (whose Wilson bound at k = 0 differs)."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if "stats" in path.relative_to(SRC).parts[:1]:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "statsmodels.stats.proportion"
            ):
                offenders.append(str(path.relative_to(SRC)))
    assert offenders == []
