"""The rows both adapters write for a batch, encoded and checked before any I/O."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    EVENT_TYPES,
    DecisionMade,
    Event,
    ItemIngested,
    ShadowDecisionMade,
)
from deepscreen.core.media import ItemId
from deepscreen.core.tasks import ReviewTask
from deepscreen.store.events.codec import encode_decision, encode_event
from deepscreen.store.times import NAIVE, require_aware

_ACTIONS = frozenset(a.value for a in Action)
_NAIVE = NAIVE + "; give a zone"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One event ready to write: ``event`` is exactly what reads will return."""

    event: Event
    payload: str
    decision_payload: str | None = None

    @property
    def event_type(self) -> str:
        return self.event.type

    @property
    def item_id(self) -> ItemId:
        return self.event.item_id

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at.astimezone(UTC)

    @property
    def decision(self) -> Decision | None:
        return self.event.decision if isinstance(self.event, DecisionMade) else None


def encode_batch(events: Sequence[Event]) -> list[EventRow]:
    """Encode an ``append`` batch; raise ``InvalidInput`` for its first bad event."""
    rows = []
    for event in events:
        text, stored = encode_event(event)
        _check_ids(stored)
        decision = encode_decision(stored.decision) if isinstance(stored, DecisionMade) else None
        rows.append(EventRow(stored, text, decision))
    return rows


def encode_item_batch(events: Sequence[Event]) -> list[EventRow]:
    """Encode a ``record_item`` batch: one item's events, its ``ItemIngested`` first and only."""
    if not events:
        raise InvalidInput("record_item needs at least the item's ItemIngested event")
    first = events[0]
    if not isinstance(first, ItemIngested):
        raise InvalidInput(f"record_item: the first event must be ItemIngested, got {first.type!r}")
    for event in events[1:]:
        if isinstance(event, ItemIngested):
            raise InvalidInput(f"record_item: a second ItemIngested for item {event.item_id!r}")
        if event.item_id != first.item_id:
            raise InvalidInput(
                f"record_item: event {event.type!r} is for item {event.item_id!r},"
                f" not {first.item_id!r}"
            )
    return encode_batch(events)


def item_tasks(
    items: Sequence[Sequence[Event]], tasks: Sequence[Sequence[ReviewTask]] | None
) -> list[Sequence[ReviewTask]]:
    """Per item of a ``record_items`` batch, the review tasks to write with it (none when
    ``tasks`` is None); ``tasks`` of another length than ``items`` is refused."""
    if tasks is None:
        return [() for _ in items]
    if len(tasks) != len(items):
        raise InvalidInput(f"record_items: {len(tasks)} task lists for {len(items)} items")
    return list(tasks)


def check_kinds(kinds: Collection[str] | None) -> None:
    """Refuse unknown event types (and a bare string, which would be read as letters)."""
    if kinds is None:
        return
    if isinstance(kinds, str):
        raise InvalidInput(f"kinds must be a collection of event types, not the string {kinds!r}")
    unknown = sorted(set(kinds) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(f"unknown event types {unknown!r}; known: {list(EVENT_TYPES)!r}")


def check_decision_query(action: str | None, limit: int, offset: int) -> None:
    if action is not None and action not in _ACTIONS:
        raise InvalidInput(f"unknown action {action!r}; known: {sorted(_ACTIONS)!r}")
    if limit < 0 or offset < 0:
        raise InvalidInput(f"limit and offset must be >= 0, got limit={limit!r} offset={offset!r}")


def check_time_range(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """``since`` and ``until`` in UTC (stored times are UTC); refuse naive ones."""
    checked = [
        None if value is None else require_aware(value, name, _NAIVE)
        for name, value in (("since", since), ("until", until))
    ]
    return checked[0], checked[1]


def _check_ids(event: Event) -> None:
    if not isinstance(event.item_id, str) or not event.item_id or "\x00" in event.item_id:
        raise InvalidInput(f"{event.type}: item_id {event.item_id!r} must be a non-empty string")
    if (
        isinstance(event, DecisionMade | ShadowDecisionMade)
        and event.decision.item_id != event.item_id
    ):
        raise InvalidInput(
            f"{event.type} for item {event.item_id!r} carries a decision"
            f" for item {event.decision.item_id!r}"
        )
