"""The action feed: what applies to each item from each event on (a state, not a delta), read from
the event log a page at a time behind a sequence-number cursor (``GET /v1/actions``,
``deepscreen actions``). Which events announce what: docs/actions.md, docs/internals/service.md."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemRestored,
    NoticeReceived,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.media import ItemId
from deepscreen.impact.takedown import IMPORTED, SWEEP_REVIEWER
from deepscreen.review.pseudonym import pseudonym
from deepscreen.service.scan import Services
from deepscreen.store.events.ports import EventStore

MAX_PAGE = 1000
MAX_AFTER = 2**53 - 1  # what every JSON client reads exactly; far below SQL's BIGINT
MAX_EXAMINED = 20_000
"""Events a page reads at most: past a long run of events that announce nothing (e.g. a label
import) a page may come back short or empty, with ``has_more`` and a cursor past them."""
KINDS = ("decision_made", "review_completed", "item_restored", "appeal_resolved")
SYSTEM_REVIEWER = "deepscreen:"  # reviewers that are no person (the takedown sweep): not hashed


class ChangeSource(StrEnum):
    POLICY = "policy"
    REVIEW = "review"
    TAKEDOWN = "takedown"
    TAKEDOWN_COPY = "takedown_copy"
    APPEAL = "appeal"
    RESTORATION = "restoration"


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionChange:
    """What applies to ``item_id`` from the event at ``seq`` on (docs/actions.md).
    ``decision_id``: the decision decided, reviewed or undone."""

    seq: int
    item_id: ItemId
    action: Action
    source: ChangeSource
    occurred_at: datetime
    decision_id: str | None = None
    notice_id: str | None = None
    copy_of: ItemId | None = None
    reviewer: str | None = None
    verdict: Verdict | None = None
    appeal_outcome: AppealOutcome | None = None


@dataclass(frozen=True)
class ActionPage:
    """``next_after``: the cursor to read on from (the last change's seq, or past the events
    read when the log ended); ``has_more``: read on at once, the log may hold more."""

    changes: list[ActionChange]
    next_after: int
    has_more: bool


def announces(event: Event) -> bool:
    """Does the event set what applies to its item (a change on the feed)?"""
    if isinstance(event, ReviewCompleted):
        return _applied(event)
    if isinstance(event, AppealResolved):
        return event.outcome is not AppealOutcome.REVERSED
    return isinstance(event, DecisionMade | ItemRestored)


def needs_history(event: Event) -> bool:
    """Does its change depend on the item's earlier events (what was in force, the notice)?"""
    return announces(event) and isinstance(event, ReviewCompleted | AppealResolved)


def in_force(events: Iterable[Event]) -> Action:
    """The action that applies after an item's events (log order); ``allow`` when none."""
    current = Action.ALLOW
    for event in events:
        if isinstance(event, DecisionMade):
            current = event.decision.action
        elif isinstance(event, ReviewCompleted) and _applied(event):
            current = _after_review(current, event)
        elif isinstance(event, ItemRestored):
            current = Action.ALLOW
    return current


def answered_notice(before: Sequence[Event], review: ReviewCompleted) -> str | None:
    """The takedown request a person's ``review`` answers (its notice id): the earliest
    matched request on the item received at or before it and not answered by an earlier
    review; None for an ordinary review."""
    pending: list[NoticeReceived] = []
    for event in before:
        if isinstance(event, NoticeReceived) and _is_request(event):
            pending.append(event)
        elif isinstance(event, ReviewCompleted) and _by_person(event):
            pending = [n for n in pending if n.occurred_at > event.occurred_at]
    due = [n for n in pending if n.occurred_at <= review.occurred_at]
    return due[0].notice_id if due else None


def action_change(seq: int, event: Event, before: Sequence[Event]) -> ActionChange | None:
    """The change ``event`` (at ``seq``) makes, given its item's ``before`` events in log
    order; None when it announces nothing. Reviewers are named as recorded."""
    if not announces(event):
        return None
    if isinstance(event, DecisionMade):
        return ActionChange(
            seq=seq,
            item_id=event.item_id,
            occurred_at=event.occurred_at,
            action=event.decision.action,
            source=ChangeSource.POLICY,
            decision_id=event.decision.decision_id,
        )
    if isinstance(event, ItemRestored):
        return ActionChange(
            seq=seq,
            item_id=event.item_id,
            occurred_at=event.occurred_at,
            action=Action.ALLOW,
            source=ChangeSource.APPEAL if event.appealed else ChangeSource.RESTORATION,
            decision_id=event.decision_id,
        )
    if isinstance(event, AppealResolved):
        return ActionChange(
            seq=seq,
            item_id=event.item_id,
            occurred_at=event.occurred_at,
            action=in_force(before),
            source=ChangeSource.APPEAL,
            decision_id=event.decision_id,
            appeal_outcome=event.outcome,
        )
    assert isinstance(event, ReviewCompleted)
    return _review_change(seq, event, before)


def action_changes(
    pairs: Iterable[tuple[int, Event]],
    histories: Mapping[ItemId, Sequence[Event]] | None = None,
    *,
    reviewer_name: Callable[[str], str | None] = lambda reviewer: reviewer,
) -> list[ActionChange]:
    """The changes of ``(seq, event)`` pairs in append order. ``histories``: every event of
    the items whose changes ``needs_history`` (``EventStore.for_item``); each event is found
    in its item's history to know what came before it (without one, nothing did)."""
    histories = histories or {}
    located: dict[ItemId, int] = {}
    changes = []
    for seq, event in pairs:
        if not announces(event):
            continue
        history = histories.get(event.item_id, ())
        at = _locate(history, event, located.get(event.item_id, 0))
        if at is not None:
            located[event.item_id] = at + 1
        change = action_change(seq, event, history[:at] if at is not None else ())
        if change is None:
            continue
        if change.reviewer is not None:
            change = replace(change, reviewer=reviewer_name(change.reviewer))
        changes.append(change)
    return changes


def action_page(
    services: Services, *, after: int, limit: int, examine_at_most: int = MAX_EXAMINED
) -> ActionPage:
    """Up to ``limit`` changes recorded after the event at seq ``after`` (exclusive; 0: from
    the start), in append order. Writers append in seq order, so a cursor never skips an
    event appended concurrently."""
    if not 0 <= after <= MAX_AFTER:
        raise InvalidInput(f"after must lie in [0, {MAX_AFTER}], got {after}")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must lie in [1, {MAX_PAGE}], got {limit}")
    picked, last, cut = _read(services.store, after, limit + 1, examine_at_most)
    has_more = cut or len(picked) > limit
    if len(picked) > limit:
        picked = picked[:limit]
        last = picked[-1][0]
    items = {event.item_id for _, event in picked if needs_history(event)}
    histories = {item: services.store.for_item(item) for item in sorted(items)}
    changes = action_changes(picked, histories, reviewer_name=reviewer_names(services))
    return ActionPage(changes, last, has_more)


def reviewer_names(services: Services) -> Callable[[str], str | None]:
    """How the feed names reviewers: a person by pseudonym (the ``[review]`` key), a system
    reviewer by name; nobody when no review configuration holds a key."""
    config = services.review
    if config is None:
        return lambda reviewer: reviewer if reviewer.startswith(SYSTEM_REVIEWER) else None
    secret = config.pseudonym_secret
    return lambda r: r if r.startswith(SYSTEM_REVIEWER) else pseudonym(r, secret)


def _read(
    store: EventStore, after: int, most: int, examine_at_most: int
) -> tuple[list[tuple[int, Event]], int, bool]:
    """(announcing events, the last seq read, whether the read stopped at its budget)."""
    picked: list[tuple[int, Event]] = []
    last, examined = after, 0
    events = store.read_with_seq(since=after, kinds=KINDS)
    try:
        for seq, event in events:
            last, examined = seq, examined + 1
            if announces(event):
                picked.append((seq, event))
            if len(picked) >= most:
                break
            if examined >= examine_at_most:
                return picked, last, True
    finally:
        if isinstance(events, Generator):
            events.close()  # a SQL store's read holds a connection until closed
    return picked, last, False


def _review_change(seq: int, review: ReviewCompleted, before: Sequence[Event]) -> ActionChange:
    source, notice_id, copy_of = ChangeSource.REVIEW, None, None
    if review.reviewer == SWEEP_REVIEWER:
        source = ChangeSource.TAKEDOWN_COPY
        notice = before[-1] if before else None  # recorded with it, in one transaction
        if isinstance(notice, NoticeReceived) and notice.copy_of is not None:
            notice_id, copy_of = notice.notice_id, notice.copy_of
    else:
        notice_id = answered_notice(before, review)
        source = ChangeSource.REVIEW if notice_id is None else ChangeSource.TAKEDOWN
    return ActionChange(
        seq=seq,
        item_id=review.item_id,
        occurred_at=review.occurred_at,
        action=in_force([*before, review]),
        source=source,
        decision_id=review.decision_id,
        notice_id=notice_id,
        copy_of=copy_of,
        reviewer=review.reviewer,
        verdict=review.verdict,
    )


def _after_review(current: Action, review: ReviewCompleted) -> Action:
    """A violation applies the review's restriction; a clearance keeps one in force, else
    ``allow`` (the wait for review is over)."""
    if review.verdict is Verdict.VIOLATING and review.action is not None:
        if review.action.is_enforcement:
            return review.action
    return current if current.is_enforcement else Action.ALLOW


def _applied(review: ReviewCompleted) -> bool:
    """A review that applied an action (not an imported label: truth, not an action)."""
    return review.action is not None and not review.reviewer.startswith(IMPORTED)


def _by_person(review: ReviewCompleted) -> bool:
    return _applied(review) and review.reviewer != SWEEP_REVIEWER


def _is_request(notice: NoticeReceived) -> bool:
    return notice.is_takedown_request and notice.matched and bool(notice.notice_id)


def _locate(history: Sequence[Event], event: Event, start: int) -> int | None:
    """The index of ``event`` in its item's history from ``start`` (events are values)."""
    for index in range(start, len(history)):
        if history[index] == event:
            return index
    return None
