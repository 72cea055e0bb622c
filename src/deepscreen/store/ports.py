"""The EventStore port: append-only events plus a read model of decisions."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Protocol

from deepscreen.core.decisions import Decision
from deepscreen.core.events import Event
from deepscreen.core.media import ItemId


class EventStore(Protocol):
    """Append-only event log.

    Obligations:
    - ``append`` writes all events in one transaction or none of them.
    - ``record_item`` writes an item's events (the first must be its ``ItemIngested``) in one
      transaction unless that item id is already stored; it returns False and writes nothing
      when the item exists (idempotent ingest). Safe under concurrent writers.
    - ``read`` yields events in append order; ``since`` is an exclusive sequence number.
    - Nothing is ever updated or deleted.
    Don't: hold a transaction open across calls; swallow backend errors (raise
    ``StoreUnavailable``).
    """

    def append(self, events: Sequence[Event]) -> None: ...

    def record_item(self, events: Sequence[Event]) -> bool: ...

    def has_item(self, item_id: ItemId) -> bool: ...

    def read(
        self, *, since: int | None = None, kinds: Collection[str] | None = None
    ) -> Iterator[Event]: ...

    def for_item(self, item_id: ItemId) -> list[Event]: ...

    def latest_decision(self, item_id: ItemId) -> Decision | None: ...

    def decisions(
        self,
        *,
        policy_revision: str | None = None,
        action: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Decision]: ...

    def close(self) -> None: ...
