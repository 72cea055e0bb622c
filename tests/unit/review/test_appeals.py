"""Appeals, pure: which enforcement is in force, the appeal task, the resolution events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemRestored,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.tasks import TaskKind
from deepscreen.review.appeals import (
    appeal_task,
    last_reviewer,
    latest_enforcement,
    resolution_events,
)
from deepscreen.review.config import PriorityConfig, ReviewConfig

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
H = timedelta(hours=1)
REVIEW = ReviewConfig(
    priority=PriorityConfig(
        score_signals=("ensemble",),
        prior_probability=0.25,
        segment_attribute="category",
        severity_by_segment={},
        default_severity=1.0,
        handling_minutes_by_kind={},
        default_handling_minutes=2.0,
        default_predicted_views=100.0,
    ),
    lease_seconds=600,
    sla_hours_by_queue={"appeals": 72.0},
    default_sla_hours=24.0,
    default_queue="review",
    appeals_queue="appeals",
    gold_queue="gold",
    gold_share=0.0,
    reason_codes=("authentic_media",),
    violating_action=Action.REMOVE,
    pseudonym_secret=b"k",
)


def made(action: Action, decision_id: str = "d1", at: datetime = T0) -> DecisionMade:
    decision = Decision(decision_id, "i1", "rev", "rule", action, at)
    return DecisionMade(item_id="i1", occurred_at=at, decision=decision)


def reviewed(verdict: Verdict, reviewer: str = "ann", at: datetime = T0 + H) -> ReviewCompleted:
    return ReviewCompleted(
        item_id="i1",
        occurred_at=at,
        verdict=verdict,
        reviewer=reviewer,
        decision_id="d1",
        action=Action.REMOVE if verdict is Verdict.VIOLATING else Action.ALLOW,
    )


def test_enforcing_decision_is_in_force() -> None:
    found = latest_enforcement([made(Action.LABEL)])
    assert found is not None and (found.action, found.confirmed_by) == (Action.LABEL, None)


@pytest.mark.parametrize(
    "events",
    [
        [],
        [made(Action.ALLOW)],
        [made(Action.REVIEW)],  # still waiting for a person
        [made(Action.REVIEW), reviewed(Verdict.NOT_VIOLATING)],
        [made(Action.REVIEW), reviewed(Verdict.VIOLATING, reviewer="label-import:truth.csv")],
        [made(Action.REMOVE), ItemRestored(item_id="i1", occurred_at=T0 + H, decision_id="d1")],
    ],
)
def test_nothing_in_force(events: list[Event]) -> None:
    assert latest_enforcement(events) is None


def test_review_decision_confirmed_by_a_person_is_in_force() -> None:
    found = latest_enforcement([made(Action.REVIEW), reviewed(Verdict.VIOLATING)])
    assert found is not None
    assert (found.decision.decision_id, found.action, found.confirmed_by) == (
        "d1",
        Action.REMOVE,
        "ann",
    )
    assert found.enforced_at == T0 + H


def test_restoring_another_decision_leaves_the_enforcement() -> None:
    events: list[Event] = [
        made(Action.REMOVE, "d2"),
        ItemRestored(item_id="i1", occurred_at=T0 + H, decision_id="d-old"),
    ]
    found = latest_enforcement(events)
    assert found is not None and found.decision.decision_id == "d2"


def test_appeal_task_excludes_the_last_reviewer_and_ranks_wrongful_views() -> None:
    events = [
        made(Action.REVIEW),
        reviewed(Verdict.VIOLATING, "ann"),
        reviewed(Verdict.VIOLATING, "bo"),
    ]
    enforcement = latest_enforcement(events)
    assert enforcement is not None and last_reviewer(events) == "bo"
    task = appeal_task(
        enforcement,
        statement="this is my own photo",
        exclude_reviewer="bo",
        config=REVIEW,
        views_so_far=None,
        now=T0 + 2 * H,
    )
    assert (task.task_id, task.kind, task.queue, task.exclude_reviewer) == (
        "appeal:d1",
        TaskKind.APPEAL,
        "appeals",
        "bo",
    )
    assert task.due_at == T0 + 2 * H + 72 * H
    assert task.priority == pytest.approx((1 - 0.25) * 100 / 2.0)
    assert task.payload["context"]["statement"] == "this is my own photo"
    assert task.payload["context"]["enforced_action"] == "remove"


def test_reversed_appeal_resolves_and_restores() -> None:
    enforcement = latest_enforcement([made(Action.REMOVE)])
    assert enforcement is not None
    task = appeal_task(
        enforcement, statement="", exclude_reviewer=None, config=REVIEW, views_so_far=5, now=T0
    )
    events = resolution_events(task, AppealOutcome.REVERSED, T0 + H)
    assert events == [
        AppealResolved(
            item_id="i1",
            occurred_at=T0 + H,
            received_at=T0,
            outcome=AppealOutcome.REVERSED,
            decision_id="d1",
        ),
        ItemRestored(item_id="i1", occurred_at=T0 + H, decision_id="d1"),
    ]
    for outcome in (AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_REVERSED, AppealOutcome.OMITTED):
        assert [e.type for e in resolution_events(task, outcome, T0 + H)] == ["appeal_resolved"]
    with pytest.raises(InvalidInput, match="cannot be resolved earlier"):
        resolution_events(task, AppealOutcome.UPHELD, T0 - H)


def test_a_takedown_removal_of_an_allowed_item_is_in_force_and_appealable() -> None:
    """A person removing an allowed item (a takedown request, a user report) enforces: the
    uploader can appeal it (DSA Art. 20), against the item's latest decision."""
    events: list[Event] = [made(Action.ALLOW), reviewed(Verdict.VIOLATING, reviewer="tk")]
    found = latest_enforcement(events)
    assert found is not None
    assert (found.decision.decision_id, found.action, found.confirmed_by) == (
        "d1",
        Action.REMOVE,
        "tk",
    )
    restored = [*events, ItemRestored(item_id="i1", occurred_at=T0 + 2 * H, decision_id="d1")]
    assert latest_enforcement(restored) is None


def test_a_label_import_on_an_allowed_item_enforces_nothing() -> None:
    events: list[Event] = [
        made(Action.ALLOW),
        reviewed(Verdict.VIOLATING, reviewer="label-import:truth.csv"),
    ]
    assert latest_enforcement(events) is None
