"""Impact summary: the metric table's rows, flagged confusion counts, FP review cost."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import DecisionMade, ItemIngested, ReviewCompleted, Verdict
from deepscreen.core.media import MediaKind
from deepscreen.impact.items import build_items
from deepscreen.impact.metrics import metric_table
from deepscreen.impact.summary import SUMMARY_METRICS, CostInputs, summarise
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def events_for(item: str, action: Action, violating: bool | None):
    yield ItemIngested(
        item_id=item,
        occurred_at=T0,
        kind=MediaKind.IMAGE,
        mime="image/png",
        width=1,
        height=1,
        size_bytes=1,
    )
    yield DecisionMade(
        item_id=item,
        occurred_at=T0,
        decision=Decision(
            decision_id=f"d-{item}",
            item_id=item,
            policy_revision="r-1",
            rule_id=None,
            action=action,
            decided_at=T0,
        ),
    )
    if violating is not None:
        yield ReviewCompleted(
            item_id=item,
            occurred_at=T0,
            reviewer="t",
            verdict=Verdict.VIOLATING if violating else Verdict.NOT_VIOLATING,
        )


def _summary(events, costs=None):
    store = InMemoryEventStore()
    store.append(list(events))
    items = build_items(events_table(store))
    table = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    return summarise(table, items, costs=costs), table


def test_summary_rows_are_the_metric_table_rows() -> None:
    spec = (
        [("tp", Action.LABEL, True)] * 6
        + [("fp", Action.REVIEW, False)] * 2
        + [("fn", Action.ALLOW, True)] * 3
        + [("tn", Action.ALLOW, False)] * 89
        + [("unlabelled", Action.LABEL, None)]
    )
    events = [e for i, (name, a, v) in enumerate(spec) for e in events_for(f"{name}{i}", a, v)]
    s, table = _summary(events, CostInputs(review_cost_per_item=0.5, monthly_volume=1_000_000))
    assert s.uploads == 101
    assert s.confusion == {"tp": 6, "fp": 2, "fn": 3, "tn": 89}
    assert s.actions == {"allow": 92, "label": 7, "review": 2}
    rows = {r["metric"]: r for r in table.to_pylist()}
    for name in SUMMARY_METRICS:
        assert s.rows[name] == rows[name]
    # flagged counts review; enforced does not (the review was never confirmed)
    assert s.rows["precision_flagged"]["value"] == pytest.approx(6 / 8)
    assert s.rows["precision_any_action"]["value"] == pytest.approx(6 / 6)
    assert s.rows["false_positive_rate_flagged"]["value"] == pytest.approx(2 / 91)
    assert s.rows["false_positive_rate_any_action"]["value"] == 0
    assert s.rows["false_positive_rate_flagged"]["n"] == 91
    assert s.rows["violating_per_10k_uploads"]["value"] == pytest.approx(900)
    cost = s.fp_review_cost
    assert cost is not None
    assert cost.value == pytest.approx(2 / 91 * 0.5 * 1_000_000)
    assert cost.ci_low < cost.value < cost.ci_high
    out = s.to_dict()
    assert out["metrics"]["precision_flagged"]["label"].startswith("Precision (flagged")
    assert out["fp_review_cost_per_month"]["formula"].startswith("false_positive_rate_flagged")


def test_later_review_overrides_earlier_label() -> None:
    events = list(events_for("a", Action.LABEL, False))
    events.append(
        ReviewCompleted(item_id="a", occurred_at=T0, reviewer="appeal", verdict=Verdict.VIOLATING)
    )
    assert _summary(events)[0].confusion["tp"] == 1


def test_cost_is_absent_when_inputs_not_configured() -> None:
    s, _ = _summary(list(events_for("a", Action.LABEL, True)))
    assert s.fp_review_cost is None
    assert s.to_dict()["fp_review_cost_per_month"] is None
