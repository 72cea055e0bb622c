"""The restrictions a statement of reasons is due for, derived from the event log: which items
get one (the ``impact.items`` enforcement definition) and what source a statement names
(docs/internals/compliance.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from deepscreen.compliance.sor import Restriction
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    NoticeReceived,
    NoticeType,
    Notifier,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.metrics import ENFORCEMENT_ACTIONS
from deepscreen.impact.takedown import SWEEP_REVIEWER

RESTRICTION_EVENTS = ("item_ingested", "decision_made", "review_completed", "notice_received")
"""The event kinds ``restrictions_in`` reads (the rest are ignored)."""
_IMPORTED = "label-import:"


@dataclass
class _Item:
    ingested: ItemIngested | None = None
    decision: DecisionMade | None = None
    review: ReviewCompleted | None = None
    notice: NoticeReceived | None = None  # the first notice, as ``impact.items``'s notice_at


def check_period(since: datetime | None, until: datetime | None) -> None:
    """``InvalidInput`` unless both bounds given are timezone-aware."""
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise InvalidInput(f"period bound {bound.isoformat()!r} needs a time zone")


def restrictions_in(
    events: Iterable[Event], *, since: datetime | None = None, until: datetime | None = None
) -> list[Restriction]:
    """The restrictions applied in ``since <= started < until``, in order of their start, from
    the events in log order (``RESTRICTION_EVENTS``)."""
    check_period(since, until)
    items: dict[str, _Item] = {}
    for event in events:
        _collect(items.setdefault(event.item_id, _Item()), event)
    found = [r for item in items.values() if (r := _restriction(item)) is not None]
    selected = [
        r
        for r in found
        if (since is None or r.applied_at >= since) and (until is None or r.applied_at < until)
    ]
    return sorted(selected, key=lambda r: (r.applied_at, r.decision_id))


def _collect(item: _Item, event: Event) -> None:
    if isinstance(event, ItemIngested) and item.ingested is None:
        item.ingested = event
    elif isinstance(event, DecisionMade) and item.decision is None:
        item.decision = event  # the automated decision: the first one, as in impact.items
    elif isinstance(event, ReviewCompleted) and not event.reviewer.startswith(_IMPORTED):
        item.review = event  # the latest human review
    elif isinstance(event, NoticeReceived) and item.notice is None:
        item.notice = event


def _restriction(item: _Item) -> Restriction | None:
    if item.ingested is None or item.decision is None:
        return None
    decision = item.decision.decision
    review = item.review
    confirmed = review is not None and review.verdict is Verdict.VIOLATING
    common: dict[str, Any] = {
        "decision_id": decision.decision_id,
        "media_kind": str(item.ingested.kind),
        "policy_revision": decision.policy_revision,
        "rule_id": decision.rule_id,
        "content_at": item.ingested.occurred_at,
    }
    if decision.action in ENFORCEMENT_ACTIONS:
        return Restriction(
            action=str(decision.action),
            applied_at=decision.decided_at,
            human_reviewed=confirmed,
            **common,
        )
    if not confirmed or review is None or review.action not in ENFORCEMENT_ACTIONS:
        return None
    if decision.action == "review":
        return Restriction(
            action=str(review.action),
            applied_at=review.occurred_at,
            human_reviewed=True,
            human_decided=True,
            **common,
        )
    notice = item.notice
    if notice is None or review.occurred_at < notice.occurred_at:
        return None
    if notice.copy_of is not None or review.reviewer == SWEEP_REVIEWER:
        return Restriction(
            action=str(review.action), applied_at=review.occurred_at, basis="notice_copy", **common
        )
    return Restriction(
        action=str(review.action),
        applied_at=review.occurred_at,
        human_reviewed=True,
        human_decided=True,
        basis="notice",
        source_type=_notice_source(notice),
        **common,
    )


def _notice_source(notice: NoticeReceived) -> str:
    """The Transparency Database's source of a notice."""
    if notice.notifier is Notifier.TRUSTED_FLAGGER:
        return "SOURCE_TRUSTED_FLAGGER"
    if notice.notice_type is NoticeType.DSA_ILLEGAL_CONTENT:
        return "SOURCE_ARTICLE_16"
    return "SOURCE_TYPE_OTHER_NOTIFICATION"
