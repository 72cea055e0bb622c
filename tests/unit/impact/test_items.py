"""The item table built from the event log: one row per item, every derived column by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemIngested,
    LabelSampled,
    NoticeReceived,
    ReviewCompleted,
    SignalsComputed,
    Verdict,
    ViewsObserved,
)
from deepscreen.core.media import MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.impact.items import ITEM_SCHEMA, build_items
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 10, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)


def ingest(
    item_id: str,
    action: Action,
    *,
    scores: dict[str, float | None],
    category: str = "news",
    at: datetime = T0,
) -> list[Event]:
    results = tuple(
        SignalResult.abstain(name, "1", "no")
        if score is None
        else SignalResult.scored(name, "1", score)
        for name, score in scores.items()
    )
    decision = Decision(f"d-{item_id}", item_id, "rev-a", "rule", action, at)
    return [
        ItemIngested(
            item_id=item_id,
            occurred_at=at,
            kind=MediaKind.IMAGE,
            mime="image/png",
            width=1,
            height=1,
            size_bytes=1,
            attributes={"category": category},
        ),
        SignalsComputed(item_id=item_id, occurred_at=at, results=results),
        DecisionMade(item_id=item_id, occurred_at=at, decision=decision),
    ]


def views(item_id: str, hours: float, count: int) -> ViewsObserved:
    return ViewsObserved(item_id=item_id, occurred_at=T0 + hours * H, views=count)


def review(
    item_id: str,
    verdict: Verdict,
    hours: float,
    *,
    reviewer: str = "r-1",
    action: Action | None = None,
) -> ReviewCompleted:
    return ReviewCompleted(
        item_id=item_id,
        occurred_at=T0 + hours * H,
        verdict=verdict,
        reviewer=reviewer,
        action=action,
    )


@pytest.fixture
def rows() -> dict[str, dict]:
    store = InMemoryEventStore()
    events: list[Event] = [
        # automated label at T0; 5 views before (window ending T0), 20 after
        *ingest("auto", Action.LABEL, scores={"c2pa": 1.0, "learned": 0.4}),
        ViewsObserved(item_id="auto", occurred_at=T0, views=5),
        views("auto", 3, 20),
        review("auto", Verdict.NOT_VIOLATING, 10, reviewer="label-import:truth.csv"),
        AppealResolved(
            item_id="auto",
            occurred_at=T0 + 48 * H,
            received_at=T0 + 24 * H,
            outcome=AppealOutcome.REVERSED,
        ),
        # sent to review, a person confirms 4 h later and removes it: 30 views before, 1 after
        *ingest(
            "reviewed",
            Action.REVIEW,
            scores={"learned": 0.7, "ensemble": 0.55},
            category="politics",
        ),
        views("reviewed", 2, 30),
        views("reviewed", 6, 1),
        review("reviewed", Verdict.VIOLATING, 4, action=Action.REMOVE),
        NoticeReceived(item_id="reviewed", occurred_at=T0 + 1 * H),
        # sent to review, but only an imported label says violating: ground truth, no action
        *ingest("imported", Action.REVIEW, scores={"learned": 0.6}),
        review("imported", Verdict.VIOLATING, 4, reviewer="label-import:truth.csv"),
        # allowed; sampled for labelling; later relabelled (the latest review wins)
        *ingest("allowed", Action.ALLOW, scores={"c2pa": None}, category=""),
        views("allowed", 1, 7),
        views("allowed", 30, 8),
        LabelSampled(
            item_id="allowed",
            occurred_at=T0 + H,
            sample_id="s1",
            stratum="non:0",
            inclusion_probability=0.2,
        ),
        review("allowed", Verdict.VIOLATING, 5),
        review("allowed", Verdict.NOT_VIOLATING, 6),
        # allowed, reported by a user after 12 views, a person confirms and removes it
        *ingest("reported", Action.ALLOW, scores={"c2pa": None}),
        views("reported", 2, 12),
        NoticeReceived(item_id="reported", occurred_at=T0 + 3 * H),
        review("reported", Verdict.VIOLATING, 8, action=Action.REMOVE),
        views("reported", 9, 4),
        # allowed, reviewed (a sample) before any report: ground truth, not notice-and-action
        *ingest("early", Action.ALLOW, scores={"c2pa": None}),
        review("early", Verdict.VIOLATING, 1),
        NoticeReceived(item_id="early", occurred_at=T0 + 3 * H),
    ]
    store.append(events)
    table = build_items(events_table(store))
    assert table.schema == ITEM_SCHEMA
    return {row["item_id"]: row for row in table.to_pylist()}


def test_one_row_per_item_with_the_decision(rows: dict[str, dict]) -> None:
    assert set(rows) == {"auto", "reviewed", "imported", "allowed", "reported", "early"}
    assert rows["auto"]["action"] == "label" and rows["auto"]["policy_revision"] == "rev-a"
    assert rows["auto"]["segment"] == "news" and rows["reviewed"]["segment"] == "politics"
    assert rows["auto"]["ingested_at"] == T0 and rows["auto"]["decided_at"] == T0


def test_score_prefers_the_ensemble_else_the_highest_score(rows: dict[str, dict]) -> None:
    assert rows["auto"]["score"] == 1.0
    assert rows["reviewed"]["score"] == 0.55  # ensemble, although learned said 0.7
    assert rows["allowed"]["score"] is None  # every detector abstained


def test_automated_enforcement_and_views_before_action(rows: dict[str, dict]) -> None:
    auto = rows["auto"]
    assert auto["enforced"] and auto["automated"] and auto["enforced_action"] == "label"
    assert auto["enforced_at"] == T0
    assert auto["views_total"] == 25 and auto["views_before_action"] == 5


def test_human_review_enforcement(rows: dict[str, dict]) -> None:
    reviewed = rows["reviewed"]
    assert reviewed["enforced"] and not reviewed["automated"]
    assert reviewed["enforced_action"] == "remove" and reviewed["enforced_at"] == T0 + 4 * H
    assert reviewed["views_before_action"] == 30 and reviewed["views_total"] == 31
    assert reviewed["notice_at"] == T0 + H and reviewed["label_source"] == "review"


def test_a_user_report_confirmed_by_a_person_is_enforcement(rows: dict[str, dict]) -> None:
    reported = rows["reported"]
    assert reported["enforced"] and not reported["automated"]
    assert reported["enforced_action"] == "remove" and reported["enforced_at"] == T0 + 8 * H
    assert reported["views_before_action"] == 12 and reported["views_total"] == 16
    early = rows["early"]
    assert early["violating"] and not early["enforced"]  # reviewed before the notice


def test_imported_labels_are_truth_not_enforcement(rows: dict[str, dict]) -> None:
    imported = rows["imported"]
    assert imported["violating"] is True and imported["label_source"] == "import"
    assert imported["enforced"] is False and imported["views_before_action"] is None


def test_allowed_item_latest_label_sample_and_views(rows: dict[str, dict]) -> None:
    allowed = rows["allowed"]
    assert allowed["enforced"] is False and allowed["views_total"] == 15
    assert allowed["violating"] is False  # the later review corrected the first
    assert allowed["inclusion_probability"] == 0.2 and allowed["sample_stratum"] == "non:0"


def test_appeals(rows: dict[str, dict]) -> None:
    auto = rows["auto"]
    assert auto["appeal_outcome"] == "reversed"
    assert auto["appeal_received_at"] == T0 + 24 * H and auto["appeal_decided_at"] == T0 + 48 * H
    assert rows["reviewed"]["appeal_outcome"] is None


def test_empty_log_gives_an_empty_table() -> None:
    table = build_items(events_table(InMemoryEventStore()))
    assert table.num_rows == 0 and table.schema == ITEM_SCHEMA


def test_segment_attribute_is_validated() -> None:
    with pytest.raises(ValueError, match="plain name"):
        build_items(events_table(InMemoryEventStore()), segment_attribute="a'; drop")
