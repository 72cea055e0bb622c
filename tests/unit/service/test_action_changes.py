"""The action feed's rule, on literal events: which events announce a change, what applies
after each, and which source, notice and reviewer each change names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemRestored,
    NoticeReceived,
    NoticeType,
    ReviewCompleted,
    ShadowDecisionMade,
    SignalsComputed,
    Verdict,
    ViewsObserved,
)
from deepscreen.service.actions import (
    ChangeSource,
    action_change,
    action_changes,
    announces,
    in_force,
)

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
H = timedelta(hours=1)
ITEM = "sha256:aa"


def decided(action: Action, at: datetime = T0, decision_id: str = "d1") -> DecisionMade:
    decision = Decision(decision_id, ITEM, "rev1", None, action, at)
    return DecisionMade(item_id=ITEM, occurred_at=at, decision=decision)


def review(
    verdict: Verdict,
    action: Action | None,
    at: datetime = T0 + H,
    reviewer: str = "ann",
) -> ReviewCompleted:
    return ReviewCompleted(
        item_id=ITEM,
        occurred_at=at,
        verdict=verdict,
        reviewer=reviewer,
        reason_code="r",
        decision_id="d1",
        action=action,
    )


def request(at: datetime, notice_id: str = "ntc-1", matched: bool = True) -> NoticeReceived:
    return NoticeReceived(
        item_id=ITEM,
        occurred_at=at,
        notice_id=notice_id,
        notice_type=NoticeType.NCII,
        matched=matched,
    )


VIOLATING, CLEAR = Verdict.VIOLATING, Verdict.NOT_VIOLATING


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (decided(Action.ALLOW), True),
        (decided(Action.REVIEW), True),
        (review(VIOLATING, Action.REMOVE), True),
        (review(CLEAR, Action.ALLOW), True),
        (review(VIOLATING, Action.REMOVE, reviewer="label-import:truth.csv"), False),
        (review(VIOLATING, None, reviewer="named-in-a-label-file"), False),
        (ItemRestored(item_id=ITEM, occurred_at=T0), True),
        (
            AppealResolved(
                item_id=ITEM, occurred_at=T0, received_at=T0, outcome=AppealOutcome.UPHELD
            ),
            True,
        ),
        (
            AppealResolved(
                item_id=ITEM, occurred_at=T0, received_at=T0, outcome=AppealOutcome.REVERSED
            ),
            False,  # its ItemRestored announces it
        ),
        (
            ShadowDecisionMade(
                item_id=ITEM, occurred_at=T0, decision=decided(Action.REMOVE).decision
            ),
            False,
        ),
        (SignalsComputed(item_id=ITEM, occurred_at=T0, results=()), False),
        (ViewsObserved(item_id=ITEM, occurred_at=T0, views=3), False),
        (request(T0), False),
    ],
)
def test_announces_only_events_that_set_what_applies(event: Event, expected: bool) -> None:
    assert announces(event) is expected


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], Action.ALLOW),
        ([decided(Action.LABEL)], Action.LABEL),
        ([decided(Action.REVIEW)], Action.REVIEW),
        ([decided(Action.REVIEW), review(VIOLATING, Action.REMOVE)], Action.REMOVE),
        # a clearance ends the wait for review ...
        ([decided(Action.REVIEW), review(CLEAR, Action.ALLOW)], Action.ALLOW),
        # ... but keeps a restriction in force (undoing one is an appeal's restoration)
        ([decided(Action.LABEL), review(CLEAR, Action.ALLOW)], Action.LABEL),
        (
            [decided(Action.REVIEW), review(VIOLATING, Action.REMOVE), review(CLEAR, Action.ALLOW)],
            Action.REMOVE,
        ),
        # imported labels are truth, not actions
        (
            [decided(Action.ALLOW), review(VIOLATING, Action.REMOVE, reviewer="label-import:x")],
            Action.ALLOW,
        ),
        ([decided(Action.REMOVE), ItemRestored(item_id=ITEM, occurred_at=T0)], Action.ALLOW),
    ],
)
def test_in_force_after_the_events(events: list[Event], expected: Action) -> None:
    assert in_force(events) is expected


def test_a_decision_is_a_policy_change_with_its_action() -> None:
    change = action_change(7, decided(Action.REVIEW, decision_id="d9"), ())
    assert change is not None
    assert (change.seq, change.item_id, change.action, change.source, change.decision_id) == (
        7,
        ITEM,
        Action.REVIEW,
        ChangeSource.POLICY,
        "d9",
    )
    assert change.reviewer is None and change.notice_id is None


def test_a_confirmed_violation_is_a_review_change_with_its_action() -> None:
    before = [decided(Action.REVIEW)]
    change = action_change(2, review(VIOLATING, Action.LABEL), before)
    assert change is not None
    assert (change.action, change.source, change.reviewer, change.verdict) == (
        Action.LABEL,
        ChangeSource.REVIEW,
        "ann",
        VIOLATING,
    )
    assert change.notice_id is None


def test_a_clearance_of_a_routed_item_is_announced_as_allow() -> None:
    change = action_change(2, review(CLEAR, Action.ALLOW), [decided(Action.REVIEW)])
    assert change is not None
    assert (change.action, change.source, change.verdict) == (Action.ALLOW, "review", CLEAR)


def test_a_review_after_a_takedown_request_answers_it() -> None:
    before = [decided(Action.ALLOW), request(T0 + H / 2, "ntc-7")]
    removal = action_change(3, review(VIOLATING, Action.REMOVE), before)
    assert removal is not None
    assert (removal.source, removal.notice_id, removal.action) == (
        ChangeSource.TAKEDOWN,
        "ntc-7",
        Action.REMOVE,
    )
    rejection = action_change(3, review(CLEAR, Action.ALLOW), before)
    assert rejection is not None
    assert (rejection.source, rejection.notice_id, rejection.action) == (
        ChangeSource.TAKEDOWN,
        "ntc-7",
        Action.ALLOW,
    )


def test_a_request_is_answered_once_and_only_by_a_later_review() -> None:
    first = review(CLEAR, Action.ALLOW, at=T0 + H)
    second = review(VIOLATING, Action.REMOVE, at=T0 + 2 * H)
    answered = [decided(Action.ALLOW), request(T0 + H / 2), first]
    change = action_change(9, second, answered)
    assert change is not None and change.source is ChangeSource.REVIEW
    assert change.notice_id is None
    # a request received after the review, or never matched to the item, is not answered by it
    for later in (request(T0 + 3 * H), request(T0, matched=False)):
        change = action_change(9, second, [decided(Action.ALLOW), later])
        assert change is not None and change.source is ChangeSource.REVIEW


def test_a_swept_copy_names_its_notice_and_original() -> None:
    copy_notice = NoticeReceived(
        item_id=ITEM,
        occurred_at=T0 + H,
        notice_id="ntc-3",
        notice_type=NoticeType.NCII,
        copy_of="sha256:original",
    )
    sweep = review(VIOLATING, Action.REMOVE, reviewer="deepscreen:takedown-sweep")
    change = action_change(5, sweep, [decided(Action.ALLOW), copy_notice])
    assert change is not None
    assert (change.source, change.notice_id, change.copy_of, change.action, change.reviewer) == (
        ChangeSource.TAKEDOWN_COPY,
        "ntc-3",
        "sha256:original",
        Action.REMOVE,
        "deepscreen:takedown-sweep",
    )


def test_a_restoration_is_allow_by_appeal_or_not() -> None:
    appealed = action_change(4, ItemRestored(item_id=ITEM, occurred_at=T0, decision_id="d1"), ())
    assert appealed is not None
    assert (appealed.action, appealed.source, appealed.decision_id) == (
        Action.ALLOW,
        ChangeSource.APPEAL,
        "d1",
    )
    own = action_change(4, ItemRestored(item_id=ITEM, occurred_at=T0, appealed=False), ())
    assert own is not None and own.source is ChangeSource.RESTORATION


def test_an_upheld_appeal_repeats_the_action_in_force() -> None:
    upheld = AppealResolved(
        item_id=ITEM, occurred_at=T0 + H, received_at=T0, outcome=AppealOutcome.UPHELD
    )
    change = action_change(6, upheld, [decided(Action.REMOVE)])
    assert change is not None
    assert (change.action, change.source, change.appeal_outcome) == (
        Action.REMOVE,
        ChangeSource.APPEAL,
        AppealOutcome.UPHELD,
    )


def test_changes_find_each_event_in_its_items_history() -> None:
    """The page starts after the decision and the request: the history supplies them."""
    removal = review(VIOLATING, Action.REMOVE, at=T0 + 2 * H)
    history: list[Event] = [decided(Action.LABEL), request(T0 + H), removal]
    restored = ItemRestored(item_id=ITEM, occurred_at=T0 + 3 * H)
    pairs = [(12, removal), (13, ViewsObserved(item_id=ITEM, occurred_at=T0, views=1))]
    changes = action_changes([*pairs, (14, restored)], {ITEM: history}, reviewer_name=str.upper)
    assert [(c.seq, c.source, c.action, c.notice_id, c.reviewer) for c in changes] == [
        (12, ChangeSource.TAKEDOWN, Action.REMOVE, "ntc-1", "ANN"),
        (14, ChangeSource.APPEAL, Action.ALLOW, None, None),
    ]
    # without the history, the same review is an ordinary one
    [alone] = action_changes(pairs)
    assert (alone.source, alone.notice_id) == (ChangeSource.REVIEW, None)


def test_identical_events_are_located_in_turn() -> None:
    clear = review(CLEAR, Action.ALLOW)
    history: list[Event] = [decided(Action.REVIEW), clear, decided(Action.LABEL, T0 + H), clear]
    changes = action_changes([(2, clear), (4, clear)], {ITEM: history})
    assert [c.action for c in changes] == [Action.ALLOW, Action.LABEL]
