"""Read models for the shells: one item's recorded history, pages of decisions, and the
explanation of a decision under the loaded policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Unpack

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput, NotFound
from deepscreen.core.events import (
    AppealResolved,
    DecisionMade,
    ItemIngested,
    ReviewCompleted,
    SignalsComputed,
    ViewsObserved,
)
from deepscreen.core.signals import SignalResult
from deepscreen.policy.explain import Explanation, explain
from deepscreen.service.scan import ScanOutcome, Services
from deepscreen.store.events.ports import DecisionFilter, DecisionQuery

MAX_PAGE = 1000
MAX_OFFSET = 2**53 - 1
"""The largest offset into the decision log: exact in every JSON client (an IEEE double), and
far inside the 64-bit integers SQLite and PostgreSQL take (a larger one was an HTTP 500)."""


@dataclass(frozen=True)
class ReviewRecord:
    """A review outcome as the shells show it: never who reviewed (no reviewer identity)."""

    occurred_at: datetime
    verdict: str
    label: str
    reason_code: str
    decision_id: str | None
    action: Action | None


@dataclass(frozen=True)
class ItemSummary:
    item_id: str
    ingested: ItemIngested
    decision: Decision | None  # the latest
    decisions: int
    signals: tuple[SignalResult, ...]  # the latest computed
    reviews: tuple[ReviewRecord, ...]
    views: int  # summed over every ViewsObserved
    view_observations: int
    appeals: int


def item_summary(services: Services, item_id: str) -> ItemSummary:
    """Everything recorded about one item, summarised; ``NotFound`` when it was never ingested."""
    events = services.store.for_item(item_id)
    ingested = next((e for e in events if isinstance(e, ItemIngested)), None)
    if ingested is None:
        raise NotFound(f"no item {item_id!r}")
    decisions = [e.decision for e in events if isinstance(e, DecisionMade)]
    signals = next((e.results for e in reversed(events) if isinstance(e, SignalsComputed)), ())
    reviews = tuple(
        ReviewRecord(
            e.occurred_at, e.verdict.value, e.label, e.reason_code, e.decision_id, e.action
        )
        for e in events
        if isinstance(e, ReviewCompleted)
    )
    views = [e.views for e in events if isinstance(e, ViewsObserved)]
    return ItemSummary(
        item_id=item_id,
        ingested=ingested,
        decision=decisions[-1] if decisions else None,
        decisions=len(decisions),
        signals=tuple(signals),
        reviews=reviews,
        views=sum(views),
        view_observations=len(views),
        appeals=sum(1 for e in events if isinstance(e, AppealResolved)),
    )


def recorded_outcome(
    services: Services, item_id: str, source: str, *, already_stored: bool = True
) -> ScanOutcome | None:
    """The item's latest recorded decision and signals as a ``ScanOutcome``, or None."""
    decision = services.store.latest_decision(item_id)
    if decision is None:
        return None
    events = services.store.for_item(item_id)
    signals = next((e.results for e in reversed(events) if isinstance(e, SignalsComputed)), ())
    return ScanOutcome(item_id, source, decision, tuple(signals), already_stored=already_stored)


@dataclass(frozen=True)
class DecisionPage:
    decisions: list[Decision]
    has_more: bool


def decision_page(services: Services, **query: Unpack[DecisionQuery]) -> DecisionPage:
    """Decisions in the order they were recorded, filtered as ``EventStore.decisions`` filters
    them (the same defaults); ``has_more`` when a next page exists."""
    asked = DecisionFilter(**query)  # the defaults; the store checks the rest
    if not 0 <= asked.offset <= MAX_OFFSET:
        raise InvalidInput(f"offset must lie in [0, {MAX_OFFSET}], got {asked.offset}")
    limit = max(0, min(asked.limit, MAX_PAGE))
    query["limit"] = limit + 1
    found = services.store.decisions(**query)
    return DecisionPage(found[:limit], len(found) > limit)


def explain_decision(services: Services, decision: Decision) -> Explanation | None:
    """Every rule's outcome on the decision's recorded inputs, when the loaded policy is the
    revision that made it; None for a decision made by another revision."""
    if decision.policy_revision != services.bundle.revision:
        return None
    return explain(services.bundle, decision.inputs)
