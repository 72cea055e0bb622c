"""Routing a decision to review: queue, SLA deadline, priority, context (pure, by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import ViewsObserved
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.assignment import assignment
from deepscreen.review.config import PriorityConfig, ReviewConfig
from deepscreen.review.pseudonym import pseudonym
from deepscreen.review.routing import route_for_review, views_so_far

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REVIEW = ReviewConfig(
    priority=PriorityConfig(
        score_signals=("ensemble",),
        prior_probability=0.5,
        segment_attribute="category",
        severity_by_segment={"news": 2.0},
        default_severity=1.0,
        handling_minutes_by_kind={"image": 1.0},
        default_handling_minutes=2.0,
        default_predicted_views=10.0,
    ),
    lease_seconds=600,
    sla_hours_by_queue={"provenance": 4.0},
    default_sla_hours=24.0,
    default_queue="review",
    appeals_queue="appeals",
    gold_queue="gold",
    gold_share=0.1,
    reason_codes=("deepfake_of_real_person", "authentic_media"),
    violating_action=Action.REMOVE,
    pseudonym_secret=b"k",
)


def review_decision(queue: str | None, action: Action = Action.REVIEW) -> Decision:
    return Decision(
        "d1",
        "i1",
        "rev-9",
        "review_tampered_credentials",
        action,
        T0,
        action_params={"queue": queue} if queue else {},
        inputs={"signals": {}, "item": {"kind": "image", "category": "news"}},
    )


def test_review_decision_routes_to_its_rule_queue_with_that_queue_sla() -> None:
    task = route_for_review(
        review_decision("provenance"), REVIEW, views_so_far=30, now=T0 + timedelta(seconds=1)
    )
    assert task is not None
    assert (task.task_id, task.kind, task.queue, task.status) == (
        "review:d1",
        TaskKind.REVIEW,
        "provenance",
        TaskStatus.OPEN,
    )
    assert task.due_at == T0 + timedelta(hours=4)  # the SLA clock starts at the decision
    assert task.created_at == T0 + timedelta(seconds=1)
    assert task.priority == 0.5 * 2.0 * 30 / 1.0
    assert task.payload["context"]["rule_id"] == "review_tampered_credentials"
    assert task.payload["priority_inputs"]["predicted_views"] == 30


def test_review_decision_without_queue_goes_to_the_default_queue() -> None:
    task = route_for_review(review_decision(None), REVIEW, views_so_far=None, now=T0)
    assert task is not None and task.queue == "review"
    assert task.due_at == T0 + timedelta(hours=24)


def test_no_task_when_action_is_not_review() -> None:
    for action in (Action.ALLOW, Action.LABEL, Action.REMOVE):
        assert (
            route_for_review(review_decision(None, action), REVIEW, views_so_far=1, now=T0) is None
        )


def test_views_so_far_sums_windows_and_is_none_without_any() -> None:
    views = [ViewsObserved(item_id="i1", occurred_at=T0, views=n) for n in (3, 0, 4)]
    assert views_so_far(views) == 7 and views_so_far([]) is None


def test_assignment_of_a_gold_task_hides_answer_queue_and_kind() -> None:
    gold = ReviewTask(
        task_id="gold:1",
        item_id="i1",
        kind=TaskKind.GOLD,
        queue="gold",
        priority=0.0,
        created_at=T0,
        payload={"context": {"rule_id": "r"}, "gold": {"verdict": "violating"}},
    )
    shown = assignment(gold)
    assert shown.kind is TaskKind.REVIEW and dict(shown.context) == {"rule_id": "r"}
    assert "gold" not in repr(shown).replace("gold:1", "")


def test_task_lease_rules_at_the_boundary() -> None:
    task = ReviewTask(
        task_id="t",
        item_id="i",
        kind=TaskKind.APPEAL,
        queue="appeals",
        priority=1.0,
        created_at=T0,
        due_at=T0 + timedelta(hours=1),
        status=TaskStatus.CLAIMED,
        claimed_by="ann",
        lease_expires_at=T0 + timedelta(minutes=10),
        exclude_reviewer="bob",
    )
    expiry = T0 + timedelta(minutes=10)
    assert task.held_by("ann", expiry - timedelta(microseconds=1)) and not task.held_by(
        "ann", expiry
    )
    assert not task.claimable_by("cy", T0) and task.claimable_by("cy", expiry)
    assert not task.claimable_by("bob", expiry)  # excluded, whatever the lease
    assert not task.overdue(T0 + timedelta(hours=1)) and task.overdue(T0 + timedelta(hours=2))


def test_pseudonym_is_stable_per_key_and_hides_the_name() -> None:
    a = pseudonym("alice@example.org", b"key-1")
    assert a == pseudonym("alice@example.org", b"key-1") and a.startswith("rv-") and len(a) == 19
    assert a != pseudonym("alice@example.org", b"key-2") != pseudonym("bob", b"key-1")
    assert "alice" not in a
