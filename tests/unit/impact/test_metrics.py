"""The metric table: every metric by hand on tiny item tables, periods and rollups, Hájek
weighting, intervals, row order, threshold monotonicity, and the CSV/JSON/Parquet writers."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metric_export import to_csv, to_json, to_parquet, to_records
from deepscreen.impact.metrics import METRICS, TABLE_SCHEMA, metric_table
from deepscreen.stats import proportion_bounds

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
RULE_OF_THREE = {n: 1 - 0.05 ** (1 / n) for n in range(1, 50)}


def item(i: int, **fields: Any) -> dict[str, Any]:
    """One ITEM_SCHEMA row: an allowed, unlabelled, unviewed image ingested (and scored) at T0."""
    row: dict[str, Any] = {name: None for name in ITEM_SCHEMA.names}
    row.update(
        item_id=f"i{i:04d}",
        ingested_at=T0,
        kind="image",
        segment="news",
        policy_revision="rev-a",
        rule_id="default",
        action="allow",
        decided_at=T0,
        score=0.1,
        detected_at=T0,
        enforced=False,
        automated=False,
        views_total=0,
    )
    row.update(fields)
    return row


def enforced(i: int, action: str = "remove", *, at: datetime = T0, **fields: Any) -> dict[str, Any]:
    """An item the automated decision enforced with ``action`` at ``at``."""
    base = dict(
        action=action,
        decided_at=at,
        enforced=True,
        enforced_at=at,
        enforced_action=action,
        automated=True,
        views_before_action=0,
    )
    base.update(fields)
    return item(i, **base)


def labelled(i: int, violating: bool, **fields: Any) -> dict[str, Any]:
    """Fields of a ground-truth label (an imported one unless ``label_source`` says otherwise)."""
    base: dict[str, Any] = dict(violating=violating, reviewed_at=T0 + H, label_source="import")
    base.update(fields)
    return base


def table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=ITEM_SCHEMA)


def rows_of(result: pa.Table) -> list[dict[str, Any]]:
    return result.to_pylist()


def get(
    result: pa.Table,
    metric: str,
    *,
    period: str = "2026-10",
    policy: str = "all",
    segment: str = "all",
) -> dict[str, Any]:
    matches = [
        r
        for r in rows_of(result)
        if r["metric"] == metric
        and r["period"] == period
        and r["policy_revision"] == policy
        and r["segment"] == segment
    ]
    assert len(matches) == 1, (metric, period, policy, segment, len(matches))
    return matches[0]


def wilson(k: float, n: float) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def check_share(row: dict[str, Any], k: int, n: int, scale: float = 1.0) -> None:
    assert row["n"] == n
    assert row["value"] == pytest.approx(k / n * scale)
    if k == 0:
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.0, RULE_OF_THREE[n] * scale))
    else:
        low, high = wilson(k, n)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low * scale, high * scale))


# --------------------------------------------------------------------------- shape and order


def test_schema_definitions_and_metric_order() -> None:
    result = metric_table(table([item(0), enforced(1)]), review_minutes_per_item=5)
    assert result.schema == TABLE_SCHEMA
    metrics = [
        r["metric"]
        for r in rows_of(result)
        if r["segment"] == "all" and r["policy_revision"] == "all"
    ]
    assert metrics == [name for name in METRICS if name in metrics]  # the registry's order
    assert metrics[:4] == [
        "uploads",
        "violating_per_10k_uploads",
        "view_prevalence_per_10k",
        "actioned_total",
    ]
    assert metrics[-1] == "reviewer_hours"
    for row in rows_of(result):
        assert row["definition"] == METRICS[row["metric"]]
    # quality metrics for any_action, flagged and the actions present only (remove here)
    quality = [m for m in metrics if m.startswith(("precision_", "recall_", "false_positive"))]
    assert quality == [
        "precision_any_action",
        "recall_any_action",
        "false_positive_rate_any_action",
        "precision_flagged",
        "recall_flagged",
        "false_positive_rate_flagged",
        "precision_remove",
        "recall_remove",
        "false_positive_rate_remove",
    ]


def test_every_registered_metric_has_a_definition_with_n() -> None:
    assert len(METRICS) == len(set(METRICS))
    for name, text in METRICS.items():
        assert "n =" in text or "Count" in text, name
    with pytest.raises(TypeError):
        METRICS["uploads"] = "changed"  # type: ignore[index]


def test_group_rows_are_ordered_with_rollups_first() -> None:
    rows = [
        item(0, segment="sports", policy_revision="rev-b"),
        item(1, segment="news", policy_revision="rev-a"),
        item(2, segment="art", policy_revision="rev-b", ingested_at=T0 - timedelta(days=40)),
    ]
    result = metric_table(table(rows))
    keys: list[tuple[str, str, str]] = []
    for r in rows_of(result):
        key = (r["period"], r["policy_revision"], r["segment"])
        if not keys or keys[-1] != key:
            keys.append(key)
    assert keys == [
        ("2026-08", "all", "all"),
        ("2026-08", "all", "art"),
        ("2026-08", "rev-b", "all"),
        ("2026-10", "all", "all"),
        ("2026-10", "all", "news"),
        ("2026-10", "all", "sports"),
        ("2026-10", "rev-a", "all"),
        ("2026-10", "rev-b", "all"),
    ]
    number_of_metrics = len(result) // len(keys)
    assert len(result) == number_of_metrics * len(keys)


def test_rollups_can_be_switched_off() -> None:
    rows = [item(0, segment="a", policy_revision="p"), item(1, segment="b", policy_revision="q")]
    only_all = metric_table(table(rows), by_segment=False, by_policy=False)
    assert {(r["policy_revision"], r["segment"]) for r in rows_of(only_all)} == {("all", "all")}
    segments = metric_table(table(rows), by_policy=False)
    assert {(r["policy_revision"], r["segment"]) for r in rows_of(segments)} == {
        ("all", "all"),
        ("all", "a"),
        ("all", "b"),
    }


def test_missing_segment_and_policy_are_the_empty_group() -> None:
    result = metric_table(table([item(0, segment=None, policy_revision=None), item(1)]))
    assert get(result, "uploads", segment="")["value"] == 1
    assert get(result, "uploads", policy="")["value"] == 1
    assert get(result, "uploads", segment="news")["value"] == 1


def test_empty_and_invalid_input() -> None:
    assert metric_table(table([])).num_rows == 0
    assert metric_table(table([])).schema == TABLE_SCHEMA
    with pytest.raises(ValueError, match="period"):
        metric_table(table([item(0)]), period="year")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lacks"):
        metric_table(table([item(0)]).drop_columns(["views_total"]))
    with pytest.raises(ValueError, match="inclusion_probability"):
        metric_table(table([item(0, violating=True, inclusion_probability=0.0)]))
    with pytest.raises(ValueError, match="review_minutes"):
        metric_table(table([item(0)]), review_minutes_per_item=-1)
    with pytest.raises(ValueError, match="ingested_at"):
        metric_table(table([item(0, ingested_at=None)]))


# --------------------------------------------------------------------------- periods


def test_month_day_week_and_all_bucketing() -> None:
    rows = [
        item(0, ingested_at=datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)),
        item(1, ingested_at=datetime(2026, 10, 1, 0, 0, tzinfo=UTC)),
        item(2, ingested_at=datetime(2026, 10, 4, 23, 0, tzinfo=UTC)),  # Sunday: ISO week 40
        item(3, ingested_at=datetime(2026, 10, 5, 0, 0, tzinfo=UTC)),  # Monday: week 41
        item(4, ingested_at=datetime(2027, 1, 1, 12, 0, tzinfo=UTC)),  # ISO year 2026, W53
    ]
    items = table(rows)

    def uploads(period: str) -> dict[str, float]:
        result = metric_table(items, period=period, by_segment=False, by_policy=False)  # type: ignore[arg-type]
        return {r["period"]: r["value"] for r in rows_of(result) if r["metric"] == "uploads"}

    assert uploads("month") == {"2026-09": 1, "2026-10": 3, "2027-01": 1}
    assert uploads("week") == {"2026-W40": 3, "2026-W41": 1, "2026-W53": 1}
    assert uploads("day") == {
        "2026-09-30": 1,
        "2026-10-01": 1,
        "2026-10-04": 1,
        "2026-10-05": 1,
        "2027-01-01": 1,
    }
    assert uploads("all") == {"all": 5}


def test_items_count_in_the_period_of_their_ingestion() -> None:
    late = enforced(
        1, at=datetime(2026, 10, 2, tzinfo=UTC), ingested_at=datetime(2026, 9, 30, 22, tzinfo=UTC)
    )
    result = metric_table(table([late, item(2)]))
    assert get(result, "actioned_total", period="2026-09")["value"] == 1
    assert get(result, "actioned_total", period="2026-10")["value"] == 0


# --------------------------------------------------------------------------- counts


def actions_table() -> pa.Table:
    review_confirmed = item(
        4,
        action="review",
        violating=True,
        label_source="review",
        reviewed_at=T0 + 2 * H,
        review_action="remove",
        enforced=True,
        enforced_at=T0 + 2 * H,
        enforced_action="remove",
        automated=False,
        views_before_action=0,
    )
    review_cleared = item(
        5, action="review", violating=False, label_source="review", reviewed_at=T0 + 2 * H
    )
    return table(
        [
            enforced(0, "label"),
            enforced(1, "downrank"),
            enforced(2, "remove"),
            enforced(3, "remove"),
            review_confirmed,
            review_cleared,
            item(6),
        ]
    )


def test_actioned_counts_and_sent_to_review() -> None:
    result = metric_table(actions_table())
    expected = {
        "uploads": 7,
        "actioned_total": 5,
        "actioned_label": 1,
        "actioned_downrank": 1,
        "actioned_age_gate": 0,
        "actioned_remove": 3,
        "sent_to_review": 2,
    }
    for metric, value in expected.items():
        row = get(result, metric)
        assert row["value"] == value, metric
        assert row["n"] == 7 and row["ci_low"] is None and row["ci_high"] is None


def test_automated_share() -> None:
    check_share(get(metric_table(actions_table()), "automated_share"), 4, 5)


def test_proactive_rate_compares_action_and_notice_times() -> None:
    rows = [
        enforced(0, at=T0 + H),  # no notice: proactive
        enforced(1, at=T0 + H, notice_at=T0 + 2 * H),  # actioned before the notice: proactive
        enforced(2, at=T0 + 3 * H, notice_at=T0 + 2 * H),  # after the notice: reactive
        enforced(3, at=T0 + 2 * H, notice_at=T0 + 2 * H),  # same instant: not before any notice
        item(4, notice_at=T0),  # not enforced: not counted
    ]
    check_share(get(metric_table(table(rows)), "proactive_rate"), 2, 4)


def test_appeal_and_overturn_rates() -> None:
    rows = [
        enforced(
            0, appeal_received_at=T0 + H, appeal_decided_at=T0 + 2 * H, appeal_outcome="reversed"
        ),
        enforced(
            1,
            appeal_received_at=T0 + H,
            appeal_decided_at=T0 + 2 * H,
            appeal_outcome="partially_reversed",
        ),
        enforced(
            2, appeal_received_at=T0 + H, appeal_decided_at=T0 + 2 * H, appeal_outcome="upheld"
        ),
        enforced(
            3, appeal_received_at=T0 + H, appeal_decided_at=T0 + 2 * H, appeal_outcome="omitted"
        ),
        enforced(4),
        # a notifier's appeal against a decision not to act: a decided appeal, not an enforced one
        item(5, appeal_received_at=T0 + H, appeal_decided_at=T0 + 2 * H, appeal_outcome="upheld"),
    ]
    result = metric_table(table(rows))
    check_share(get(result, "appeal_rate"), 4, 5)
    check_share(get(result, "overturn_rate"), 2, 4)


def test_shares_of_nothing_are_null_with_n_zero() -> None:
    result = metric_table(table([item(0), item(1)]))
    for metric in (
        "proactive_rate",
        "automated_share",
        "appeal_rate",
        "overturn_rate",
        "time_to_action_median_hours",
        "views_before_action_mean",
        "views_before_action_0",
        "queue_precision_at_10",
        "queue_harm_at_10",
    ):
        row = get(result, metric)
        assert row["value"] is None and row["n"] == 0, metric
        assert row["ci_low"] is None and row["ci_high"] is None, metric


# --------------------------------------------------------------------------- prevalence


def test_violating_per_10k_uploads_unweighted() -> None:
    rows = [item(0, **labelled(0, True))] + [item(i, **labelled(i, False)) for i in (1, 2, 3)]
    rows += [item(4), item(5)]  # unlabelled: left out
    check_share(get(metric_table(table(rows)), "violating_per_10k_uploads"), 1, 4, 10_000)


def test_violating_per_10k_rule_of_three_at_zero() -> None:
    rows = [item(i, **labelled(i, False)) for i in range(5)]
    row = get(metric_table(table(rows)), "violating_per_10k_uploads")
    assert (row["value"], row["ci_low"]) == (0.0, 0.0)
    assert row["ci_high"] == pytest.approx((1 - 0.05 ** (1 / 5)) * 10_000)
    assert row["n"] == 5


def test_violating_per_10k_is_hajek_weighted() -> None:
    rows = [
        item(0, **labelled(0, True), inclusion_probability=0.5),  # w = 2
        item(1, **labelled(1, True), inclusion_probability=0.5),  # w = 2
        item(2, **labelled(2, False), inclusion_probability=0.1),  # w = 10
        item(3, **labelled(3, False), inclusion_probability=0.1),  # w = 10
        item(4, **labelled(4, False)),  # no π: w = 1
    ]
    row = get(metric_table(table(rows)), "violating_per_10k_uploads")
    assert row["value"] == pytest.approx(4 / 25 * 10_000)  # unweighted would be 2/5 = 4,000
    ess = 25**2 / (4 + 4 + 100 + 100 + 1)  # Kish: (Σw)²/Σw²
    low, high = wilson(4 / 25 * ess, ess)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low * 10_000, high * 10_000))
    assert row["n"] == 5


def test_view_prevalence_by_hand() -> None:
    rows = [
        item(0, **labelled(0, True), views_total=100),
        item(1, **labelled(1, False), views_total=300),
        item(2, **labelled(2, False), views_total=600),
        item(3, views_total=10_000),  # unlabelled: left out
    ]
    result = metric_table(table(rows), n_boot=500)
    row = get(result, "view_prevalence_per_10k")
    assert row["value"] == pytest.approx(100 / 1000 * 10_000)
    assert row["n"] == 3
    assert 0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 10_000
    # bootstrap over items: with three items the resample can hold only the violating one
    assert row["ci_high"] == pytest.approx(10_000)
    off = get(metric_table(table(rows), bootstrap=False), "view_prevalence_per_10k")
    assert off["value"] == row["value"] and off["ci_low"] is None and off["ci_high"] is None


def test_view_prevalence_weighted_and_zero() -> None:
    weighted = [
        item(0, **labelled(0, True), views_total=100, inclusion_probability=0.5),  # 200
        item(1, **labelled(1, False), views_total=100, inclusion_probability=0.25),  # 400
    ]
    row = get(metric_table(table(weighted)), "view_prevalence_per_10k")
    assert row["value"] == pytest.approx(200 / 600 * 10_000)
    clean = [item(i, **labelled(i, False), views_total=100) for i in range(2)]
    zero = get(metric_table(table(clean)), "view_prevalence_per_10k")
    # no violating view: rule of three on the view-weighted effective size 200²/(2·100²) = 2
    assert (zero["value"], zero["ci_low"]) == (0.0, 0.0)
    assert zero["ci_high"] == pytest.approx((1 - 0.05 ** (1 / 2)) * 10_000)
    unviewed = get(metric_table(table([item(0, **labelled(0, True))])), "view_prevalence_per_10k")
    assert unviewed["value"] is None and unviewed["n"] == 1


def test_unlabelled_items_give_no_quality_numbers() -> None:
    result = metric_table(table([enforced(0), item(1), item(2, views_total=5)]))
    for metric in (
        "violating_per_10k_uploads",
        "view_prevalence_per_10k",
        "precision_any_action",
        "recall_any_action",
        "false_positive_rate_any_action",
        "precision_remove",
    ):
        row = get(result, metric)
        assert row["value"] is None and row["n"] == 0 and row["ci_low"] is None, metric


# --------------------------------------------------------------------------- times


def test_time_to_action_from_detection_ingestion_or_notice() -> None:
    rows = [
        enforced(0, at=T0 + 3 * H, detected_at=T0 + H),  # from detection: 2 h
        enforced(1, at=T0 + 5 * H, detected_at=None),  # no detection, from ingestion: 5 h
        enforced(2, at=T0 + 6 * H, detected_at=T0 + H, notice_at=T0 + 2 * H),  # notice: 4 h
        enforced(3, at=T0 + 4 * H, detected_at=T0 + H, notice_at=T0 + 10 * H),  # later notice: 3 h
        item(4, detected_at=T0 + 30 * H),  # not enforced: no time to action
    ]
    result = metric_table(table(rows), n_boot=200)
    median = get(result, "time_to_action_median_hours")
    p90 = get(result, "time_to_action_p90_hours")
    assert median["value"] == pytest.approx(3.5) and median["n"] == 4
    assert p90["value"] == pytest.approx(4.7) and p90["n"] == 4  # numpy: [2,3,4,5] at 0.9
    assert median["ci_low"] <= 3.5 <= median["ci_high"]
    assert 2.0 <= median["ci_low"] and median["ci_high"] <= 5.0
    detect = get(result, "time_to_detect_median_hours")
    # detection delays: 1, (none), 1, 1, 30 hours
    assert detect["value"] == pytest.approx(1.0) and detect["n"] == 4


def test_time_interval_is_the_exact_bootstrap_percentile_interval() -> None:
    from deepscreen.stats import bootstrap_quantile

    hours = [0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]
    rows = [enforced(i, at=T0 + h * H) for i, h in enumerate(hours)]
    result = metric_table(table(rows))
    for metric, q in (("time_to_action_median_hours", 0.5), ("time_to_action_p90_hours", 0.9)):
        expected = bootstrap_quantile(hours, q)
        row = get(result, metric)
        assert (row["value"], row["ci_low"], row["ci_high"]) == pytest.approx(
            (expected.value, expected.low, expected.high)
        )


# --------------------------------------------------------------------------- exposure


def test_views_before_action_mean_and_buckets() -> None:
    views = [0, 5, 10, 11, 100, 101, 1000, 1001, 50_000]
    rows = [enforced(i, views_before_action=v, views_total=v) for i, v in enumerate(views)]
    rows.append(item(99, views_total=1_000_000))  # not enforced: no views before action
    result = metric_table(table(rows), n_boot=500)
    mean = get(result, "views_before_action_mean")
    assert mean["value"] == pytest.approx(sum(views) / 9) and mean["n"] == 9
    assert mean["ci_low"] <= mean["value"] <= mean["ci_high"]
    for metric, k in (("0", 1), ("1_10", 2), ("11_100", 2), ("101_1000", 2), ("over_1000", 2)):
        check_share(get(result, f"views_before_action_{metric}"), k, 9)


# --------------------------------------------------------------------------- quality


def quality_rows() -> list[dict[str, Any]]:
    rows = []
    i = 0
    for action, violating, count in (
        ("remove", True, 3),
        ("remove", False, 1),
        ("label", True, 1),
        ("label", False, 1),
    ):
        for _ in range(count):
            rows.append(enforced(i, action, **labelled(i, violating)))
            i += 1
    for violating, count in ((True, 2), (False, 4)):
        for _ in range(count):
            rows.append(item(i, **labelled(i, violating)))
            i += 1
    for _ in range(5):  # enforced but unlabelled: not in any quality metric
        rows.append(enforced(i, "remove"))
        i += 1
    return rows


def test_precision_recall_fpr_unweighted() -> None:
    result = metric_table(table(quality_rows()))
    # labelled: violating 3 (remove) + 1 (label) + 2 (not enforced) = 6; clean 1 + 1 + 4 = 6
    check_share(get(result, "precision_any_action"), 4, 6)
    check_share(get(result, "recall_any_action"), 4, 6)
    check_share(get(result, "false_positive_rate_any_action"), 2, 6)
    check_share(get(result, "precision_remove"), 3, 4)
    check_share(get(result, "recall_remove"), 3, 6)
    check_share(get(result, "false_positive_rate_remove"), 1, 6)
    check_share(get(result, "precision_label"), 1, 2)
    check_share(get(result, "recall_label"), 1, 6)
    check_share(get(result, "false_positive_rate_label"), 1, 6)
    assert not [
        r
        for r in rows_of(result)
        if r["metric"].endswith(("downrank", "age_gate")) and not r["metric"].startswith("actioned")
    ]


def test_recall_rule_of_three_when_action_never_hits() -> None:
    rows = [enforced(0, "label", **labelled(0, False))] + [
        item(i, **labelled(i, True)) for i in (1, 2, 3)
    ]
    check_share(get(metric_table(table(rows)), "recall_label"), 0, 3)


def test_recall_is_null_without_labelled_unactioned_items() -> None:
    """Labels from the review queue alone cannot show what the policy missed."""
    rows = [
        enforced(0, "remove", **labelled(0, True)),
        enforced(1, "remove", **labelled(1, False)),
        item(2),  # not labelled
    ]
    result = metric_table(table(rows))
    recall = get(result, "recall_any_action")
    assert recall["value"] is None and recall["n"] == 0
    assert "non-actioned sample" in recall["definition"]
    check_share(get(result, "precision_any_action"), 1, 2)  # precision is still estimable


def test_precision_recall_fpr_hajek_weighted() -> None:
    rows = [
        enforced(0, "remove", **labelled(0, True), inclusion_probability=0.5),  # w 2
        enforced(1, "remove", **labelled(1, False), inclusion_probability=0.25),  # w 4
        item(2, **labelled(2, True), inclusion_probability=0.1),  # w 10
        item(3, **labelled(3, False), inclusion_probability=0.1),  # w 10
    ]
    result = metric_table(table(rows), n_boot=400)
    expected = {
        "precision_remove": (2 / 6, 2),
        "recall_remove": (2 / 12, 2),
        "false_positive_rate_remove": (4 / 14, 2),
    }
    for metric, (value, n) in expected.items():
        row = get(result, metric)
        assert row["value"] == pytest.approx(value), metric  # unweighted would be 1/2
        assert row["n"] == n
        assert 0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 1, metric
    off = get(metric_table(table(rows), bootstrap=False), "precision_remove")
    assert off["value"] == pytest.approx(2 / 6) and off["ci_low"] is None


def test_weighted_precision_of_one_uses_wilson_on_effective_size() -> None:
    rows = [
        enforced(0, "remove", **labelled(0, True), inclusion_probability=0.5),
        enforced(1, "remove", **labelled(1, True), inclusion_probability=0.5),
        item(2, **labelled(2, False), inclusion_probability=0.5),
    ]
    row = get(metric_table(table(rows), n_boot=100), "precision_remove")
    assert row["value"] == 1.0
    low, high = wilson(2, 2)  # two items of equal weight: effective size 2
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))


# --------------------------------------------------------------------------- queue


def test_queue_precision_and_harm_at_k() -> None:
    def queued(i: int, score: float | None, views: int, violating: bool | None) -> dict[str, Any]:
        extra = {} if violating is None else labelled(i, violating, label_source="review")
        return item(i, action="review", score=score, views_total=views, **extra)

    rows = [queued(i, 0.99 - i * 0.01, 10 * (i + 1), i % 3 == 0) for i in range(8)]
    # i 0..7: scores .99..0.92; violating at 0, 3, 6; harm = 10 + 40 + 70
    rows += [
        queued(8, 0.5, 1000, None),  # tie on score: more views first
        queued(9, 0.5, 2000, True),
        queued(10, 0.5, 2000, False),  # same score and views as 9: item_id decides (i0009 first)
        queued(11, None, 99_999, True),  # no score: last
        item(12, score=1.0, views_total=5, violating=True),  # not queued
    ]
    result = metric_table(table(rows))
    # top 10: items 0..7, then 9 (score .5, 2000 views, i0009), then 10; item 8 and 11 out
    p10 = get(result, "queue_precision_at_10")
    check_share(p10, 4, 10)  # violating: 0, 3, 6, 9; all ten labelled
    harm10 = get(result, "queue_harm_at_10")
    assert harm10["value"] == 10 + 40 + 70 + 2000 and harm10["n"] == 10 and harm10["ci_low"] is None
    p100 = get(result, "queue_precision_at_100")
    check_share(p100, 5, 11)  # 12 queued, item 8 unlabelled
    harm100 = get(result, "queue_harm_at_100")
    assert harm100["value"] == 10 + 40 + 70 + 2000 + 99_999 and harm100["n"] == 12


def test_queue_is_ranked_within_each_group() -> None:
    rows = [
        item(0, action="review", score=0.9, segment="a", **labelled(0, True), views_total=7),
        item(1, action="review", score=0.8, segment="b", **labelled(1, False)),
    ]
    result = metric_table(table(rows))
    assert get(result, "queue_harm_at_10", segment="a")["value"] == 7
    assert get(result, "queue_harm_at_10", segment="b")["value"] == 0
    assert get(result, "queue_precision_at_10", segment="b")["value"] == 0.0


# --------------------------------------------------------------------------- reviewer hours


def test_reviewer_hours_only_with_minutes() -> None:
    rows = [item(i, **labelled(i, i == 0, label_source="review")) for i in range(3)]
    rows.append(item(3, **labelled(3, True)))  # imported label: not a review
    with_minutes = get(metric_table(table(rows), review_minutes_per_item=6), "reviewer_hours")
    assert with_minutes["value"] == pytest.approx(0.3) and with_minutes["n"] == 3
    assert not [r for r in rows_of(metric_table(table(rows))) if r["metric"] == "reviewer_hours"]


def test_review_within_sla_counts_people_reviewing_queued_items_in_time() -> None:
    def queued(i: int, hours: float | None, source: str = "review") -> dict[str, Any]:
        review = {} if hours is None else labelled(i, True, label_source=source)
        if hours is not None:
            review["reviewed_at"] = T0 + timedelta(hours=hours)
        return item(i, action="review", **review)

    rows = [
        queued(0, 1.0),
        queued(1, 24.0),  # exactly at the deadline: in time
        queued(2, 30.0),  # late
        queued(3, None),  # never reviewed: outside
        queued(4, 2.0, source="import"),  # an imported label is not a review
        item(5),  # not queued
    ]
    result = metric_table(table(rows), review_sla_hours=24)
    sla = get(result, "review_within_sla")
    assert sla["value"] == pytest.approx(2 / 5) and sla["n"] == 5
    assert 0 < sla["ci_low"] < 0.4 < sla["ci_high"] < 1
    assert not [r for r in rows_of(metric_table(table(rows))) if r["metric"] == "review_within_sla"]
    with pytest.raises(ValueError, match="review_sla_hours"):
        metric_table(table(rows), review_sla_hours=0)


# --------------------------------------------------------------------------- groups


def test_segment_and_policy_rows_are_computed_on_their_items() -> None:
    rows = [
        enforced(0, segment="a", policy_revision="p", views_before_action=10),
        enforced(1, segment="b", policy_revision="p", views_before_action=30),
        item(2, segment="b", policy_revision="q"),
        item(3, segment="b", policy_revision="q"),
    ]
    result = metric_table(table(rows), bootstrap=False)
    assert get(result, "uploads")["value"] == 4
    assert get(result, "uploads", segment="b")["value"] == 3
    assert get(result, "uploads", policy="q")["value"] == 2
    assert get(result, "actioned_total", segment="a")["value"] == 1
    assert get(result, "actioned_total", policy="q")["value"] == 0
    assert get(result, "views_before_action_mean")["value"] == 20
    assert get(result, "views_before_action_mean", segment="b")["value"] == 30
    assert get(result, "views_before_action_mean", policy="q")["value"] is None
    per_segment = sum(
        r["value"] for r in rows_of(result) if r["metric"] == "uploads" and r["segment"] != "all"
    )
    per_policy = sum(
        r["value"]
        for r in rows_of(result)
        if r["metric"] == "uploads" and r["policy_revision"] != "all"
    )
    assert per_segment == per_policy == 4


def test_compact_cell_ids_give_the_same_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many (period × policy × segment) combinations switch to ids for present cells only."""
    from deepscreen.impact import metric_cells as module

    rows = quality_rows()
    rows += [
        enforced(
            100 + i,
            segment="abc"[i % 3],
            policy_revision="pq"[i % 2],
            ingested_at=T0 + i * 20 * H,
            views_before_action=i,
            **labelled(100 + i, i % 4 == 0, inclusion_probability=0.5),
        )
        for i in range(30)
    ]
    dense = metric_table(table(rows), period="day", n_boot=100)
    monkeypatch.setattr(module, "_DENSE_CELLS", 1)
    compact = metric_table(table(rows), period="day", n_boot=100)
    assert_same_tables(dense, compact)


def test_same_seed_same_table_and_bootstrap_switch() -> None:
    rows = quality_rows() + [enforced(50 + i, views_before_action=i * i) for i in range(20)]
    first = metric_table(table(rows), n_boot=300, seed=1)
    assert first.equals(metric_table(table(rows), n_boot=300, seed=1))
    other = metric_table(table(rows), n_boot=300, seed=2)
    assert (
        get(other, "views_before_action_mean")["value"]
        == get(first, "views_before_action_mean")["value"]
    )
    off = metric_table(table(rows), bootstrap=False)
    assert off.column("value").equals(first.column("value"))
    assert get(off, "views_before_action_mean")["ci_low"] is None


# --------------------------------------------------------------------------- properties

ACTIONS = ["allow", "label", "downrank", "age_gate", "remove", "review"]


@st.composite
def item_tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        action = draw(st.sampled_from(ACTIONS))
        label = draw(st.sampled_from([None, True, False]))
        probability = (
            draw(st.sampled_from([None, None, 0.5, 0.1, 1.0])) if label is not None else None
        )
        offset = draw(st.integers(0, 24 * 70)) * H
        acted = action not in ("allow", "review") or (action == "review" and label is True)
        notice = draw(st.sampled_from([None, offset + H, offset + 5 * H]))
        outcome = draw(st.sampled_from([None, "upheld", "reversed", "omitted"])) if acted else None
        views = draw(st.integers(0, 5000))
        rows.append(
            item(
                i,
                ingested_at=T0 + offset,
                detected_at=T0 + offset + draw(st.integers(0, 3)) * H,
                segment=draw(st.sampled_from(["a", "b", "c"])),
                policy_revision=draw(st.sampled_from(["p", "q"])),
                action=action,
                score=draw(st.one_of(st.none(), st.floats(0, 1))),
                violating=label,
                label_source=None if label is None else draw(st.sampled_from(["review", "import"])),
                reviewed_at=None if label is None else T0 + offset + 2 * H,
                inclusion_probability=probability,
                notice_at=None if notice is None else T0 + notice,
                enforced=acted,
                enforced_at=T0 + offset + 3 * H if acted else None,
                enforced_action=("remove" if action == "review" else action) if acted else None,
                automated=acted and action != "review",
                views_total=views,
                views_before_action=draw(st.integers(0, views)) if acted else None,
                appeal_outcome=outcome,
                appeal_received_at=T0 + offset + 4 * H if outcome else None,
                appeal_decided_at=T0 + offset + 5 * H if outcome else None,
            )
        )
    return table(rows)


def assert_same_tables(left: pa.Table, right: pa.Table) -> None:
    assert left.num_rows == right.num_rows
    for a, b in zip(rows_of(left), rows_of(right), strict=True):
        assert (a["period"], a["policy_revision"], a["segment"], a["metric"], a["n"]) == (
            b["period"],
            b["policy_revision"],
            b["segment"],
            b["metric"],
            b["n"],
        )
        for key in ("value", "ci_low", "ci_high"):
            if a[key] is None or b[key] is None:
                assert a[key] is b[key] is None, (a["metric"], key)
            else:
                assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-9), (a["metric"], key)


PROPERTY = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(item_tables(), st.randoms(use_true_random=False), st.sampled_from(["month", "week", "all"]))
def test_metrics_do_not_depend_on_row_order(items: pa.Table, random: Any, period: str) -> None:
    order = list(range(items.num_rows))
    random.shuffle(order)
    shuffled = items.take(pa.array(order, pa.int64()))
    kwargs: dict[str, Any] = dict(
        period=period, n_boot=60, seed=3, review_minutes_per_item=4.0, review_sla_hours=12.0
    )
    assert_same_tables(metric_table(items, **kwargs), metric_table(shuffled, **kwargs))


SHARES = {
    "proactive_rate", "automated_share", "appeal_rate", "overturn_rate",
    "queue_precision_at_10", "queue_precision_at_100",
}  # fmt: skip


def is_share(metric: str) -> bool:
    return (
        metric in SHARES
        or metric.startswith(("precision_", "recall_", "false_positive_rate_"))
        or (metric.startswith("views_before_action_") and metric != "views_before_action_mean")
    )


@PROPERTY
@given(item_tables())
def test_values_lie_in_their_intervals_and_ranges(items: pa.Table) -> None:
    result = metric_table(items, n_boot=80, review_minutes_per_item=3.0)
    for row in rows_of(result):
        value, low, high, metric = row["value"], row["ci_low"], row["ci_high"], row["metric"]
        assert row["n"] >= 0
        if value is None:
            assert low is None and high is None, metric
            continue
        assert math.isfinite(value)
        if low is not None or high is not None:
            assert low is not None and high is not None, metric
            assert low - 1e-9 <= value <= high + 1e-9, metric
        top = 10_000.0 if metric.endswith("per_10k") or metric.endswith("per_10k_uploads") else 1.0
        if is_share(metric) or top > 1:
            assert 0.0 <= value <= top + 1e-9, metric
            if low is not None:
                assert 0.0 <= low and high <= top + 1e-9, metric
            assert row["n"] > 0, metric


@PROPERTY
@given(
    st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
    st.lists(st.sampled_from(["a", "b"]), min_size=30, max_size=30),
)
def test_raising_the_threshold_never_actions_more(
    scores: list[float], t1: float, t2: float, segments: list[str]
) -> None:
    low_t, high_t = min(t1, t2), max(t1, t2)

    def at(threshold: float) -> dict[tuple[str, str], float]:
        rows = [
            enforced(i, "remove", score=s, segment=segments[i])
            if s >= threshold
            else item(i, score=s, segment=segments[i])
            for i, s in enumerate(scores)
        ]
        result = metric_table(table(rows), period="all", bootstrap=False)
        return {
            (r["policy_revision"], r["segment"]): r["value"]
            for r in rows_of(result)
            if r["metric"] == "actioned_total"
        }

    lenient, strict = at(low_t), at(high_t)
    assert lenient.keys() == strict.keys()
    for group, count in strict.items():
        assert count <= lenient[group], group
    assert strict[("all", "all")] == sum(s >= high_t for s in scores)


def test_weighted_estimates_match_numpy_on_a_random_table() -> None:
    """A larger random table: every Hájek value against a direct numpy computation."""
    rng = np.random.default_rng(9)
    rows = []
    for i in range(400):
        label = bool(rng.random() < 0.3)
        acted = bool(rng.random() < (0.6 if label else 0.2))
        probability = float(rng.choice([0.05, 0.2, 1.0]))
        fields = labelled(
            i, label, inclusion_probability=probability, views_total=int(rng.integers(0, 500))
        )
        rows.append(enforced(i, "remove", **fields) if acted else item(i, **fields))
    items = table(rows)
    result = metric_table(items, n_boot=200, by_segment=False, by_policy=False)
    y = np.array([r["violating"] for r in rows])
    w = 1 / np.array([r["inclusion_probability"] for r in rows])
    a = np.array([r["enforced"] for r in rows])
    v = np.array([r["views_total"] for r in rows])
    expected = {
        "violating_per_10k_uploads": (w * y).sum() / w.sum() * 10_000,
        "view_prevalence_per_10k": (w * v * y).sum() / (w * v).sum() * 10_000,
        "precision_any_action": (w * y * a).sum() / (w * a).sum(),
        "recall_any_action": (w * y * a).sum() / (w * y).sum(),
        "false_positive_rate_any_action": (w * ~y * a).sum() / (w * ~y).sum(),
    }
    for metric, value in expected.items():
        row = get(result, metric)
        assert row["value"] == pytest.approx(value), metric
        assert row["ci_low"] < row["value"] < row["ci_high"], metric
    ess = w.sum() ** 2 / (w**2).sum()
    _, low, high = proportion_bounds((w * y).sum() / w.sum() * ess, ess)
    row = get(result, "violating_per_10k_uploads")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low * 10_000, high * 10_000))


# --------------------------------------------------------------------------- writers


def sample_result() -> pa.Table:
    return metric_table(table(quality_rows() + [item(60, segment="sports")]), n_boot=100)


def test_csv_round_trip(tmp_path: Path) -> None:
    result = sample_result()
    path = tmp_path / "metrics.csv"
    to_csv(result, path)
    back = pacsv.read_csv(
        path,
        convert_options=pacsv.ConvertOptions(column_types=TABLE_SCHEMA, strings_can_be_null=False),
    )
    assert back.equals(result)


def test_parquet_round_trip(tmp_path: Path) -> None:
    result = sample_result()
    path = tmp_path / "metrics.parquet"
    to_parquet(result, path)
    assert pq.read_table(path).equals(result)


def _no_constants(name: str) -> None:
    raise AssertionError(f"non-standard JSON constant {name}")


def test_json_round_trip_and_strict(tmp_path: Path) -> None:
    result = sample_result()
    path = tmp_path / "metrics.json"
    to_json(result, path)
    records = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constants)
    assert pa.Table.from_pylist(records, schema=TABLE_SCHEMA).equals(result)
    assert records == to_records(result)
    # NaN and infinities that slip into a table are written as null, never as NaN/Infinity
    odd = pa.table(
        {"metric": ["a", "b", "c"], "value": [math.nan, math.inf, 1.5]},
    )
    to_json(odd, path)
    assert json.loads(path.read_text(), parse_constant=_no_constants) == [
        {"metric": "a", "value": None},
        {"metric": "b", "value": None},
        {"metric": "c", "value": 1.5},
    ]
