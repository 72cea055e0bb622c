"""The EventStore port: append-only events plus a read model of decisions."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol, TypedDict, Unpack

from deepscreen.core.decisions import Decision
from deepscreen.core.events import Event
from deepscreen.core.imports import ImportRecord
from deepscreen.core.media import ItemId
from deepscreen.core.tasks import ReviewTask
from deepscreen.store.events.rows import check_decision_query, check_kinds, check_time_range

EventRecord = tuple[int, str, str, datetime, str]
"""(seq, event type, item id, occurred at (UTC), JSON payload as the codec wrote it)."""


class DecisionQuery(TypedDict, total=False):
    """``decisions``' keyword arguments, every one optional (the defaults are
    ``DecisionFilter``'s): the filters (None: no filter), then the page."""

    policy_revision: str | None
    action: str | None
    since: datetime | None
    until: datetime | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """A ``decisions`` query with its defaults; ``of`` checks it."""

    policy_revision: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0

    @classmethod
    def of(cls, **query: Unpack[DecisionQuery]) -> DecisionFilter:
        """The query with its defaults, ``since`` and ``until`` in UTC; ``InvalidInput`` for an
        unknown action or a negative page, then for a naive time."""
        asked = cls(**query)
        check_decision_query(asked.action, asked.limit, asked.offset)
        since, until = check_time_range(asked.since, asked.until)
        return replace(asked, since=since, until=until)


class LogQuery(TypedDict, total=False):
    """``read``/``read_with_seq``' keyword arguments, both optional: the events after seq
    ``since`` (None: from the start), of the types ``kinds`` (None: every type)."""

    since: int | None
    kinds: Collection[str] | None


@dataclass(frozen=True, slots=True)
class LogFilter:
    """A ``read``/``read_with_seq`` query with its defaults; ``of`` checks it."""

    since: int | None = None
    kinds: Collection[str] | None = None

    @classmethod
    def of(cls, **query: Unpack[LogQuery]) -> LogFilter:
        """The query with its defaults; ``InvalidInput`` for an unknown event type in
        ``kinds`` or ``kinds`` given as a bare string."""
        asked = cls(**query)
        check_kinds(asked.kinds)
        return asked


class EventStore(Protocol):
    """Append-only event log.

    Obligations:
    - ``append`` writes all events in one transaction or none of them.
    - ``record_item`` writes an item's events (the first must be its ``ItemIngested``) in one
      transaction unless that item id is already stored; it returns False and writes nothing
      when the item exists (idempotent ingest). Safe under concurrent writers.
    - ``record_item``'s ``tasks`` (the item's routed review tasks) are added to the review
      queue of the store's database in that same transaction, as ``ReviewQueueStore.add``
      would (checked the same way, a task id already stored left as it is): a crash can never
      leave a decision routed to review without its task. Nothing is added when the item is
      already stored; a task of another item is refused with ``InvalidInput``.
    - ``append`` and ``record_item`` refuse, with ``InvalidInput`` and nothing written, a batch
      holding a naive datetime, a value JSON cannot hold, a second ``ItemIngested`` for an item,
      or a ``decision_id`` already used. Reads return times in UTC (equal instants).
    - ``read`` yields events lazily in append order; ``since`` is an exclusive sequence number
      as yielded by ``read_with_seq`` (numbers increase but may have gaps); ``kinds`` are
      ``Event.type`` values.
    - ``append_import`` appends an import file's events and its ``ImportRecord`` in one
      transaction, unless an import of the same (kind, digest) is recorded: then it writes
      nothing and returns that earlier record (None when this one was written). Safe under
      concurrent writers: the same content is applied once. Its ``tasks`` are added to the
      review queue of the store's database in that same transaction (as ``record_item``
      adds an item's tasks; a task id already stored is left as it is): e.g. a takedown
      notice and its task, written once or not at all.
    - ``decisions`` pages through ``DecisionMade`` decisions in append order, filtered by
      revision, action and ``since <= decided_at < until`` (aware times; a naive one raises
      ``InvalidInput``); ``latest_decision`` is the item's most recently appended one.
    - Nothing is ever updated or deleted. After ``close`` every call raises ``StoreUnavailable``.
    Don't: hold a transaction open across calls; swallow backend errors (raise
    ``StoreUnavailable``).
    """

    def append(self, events: Sequence[Event]) -> None: ...

    def append_import(
        self, record: ImportRecord, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()
    ) -> ImportRecord | None: ...

    def record_item(self, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()) -> bool: ...

    def record_items(
        self,
        items: Sequence[Sequence[Event]],
        *,
        tasks: Sequence[Sequence[ReviewTask]] | None = None,
    ) -> list[bool]:
        """``record_item`` for many items in one transaction where the backend allows it:
        per item True (written) or False (its item id was already stored, or came earlier in
        ``items``). ``tasks[i]`` are the tasks of ``items[i]``, written with it (None: no
        tasks). Every batch is checked before anything is written."""
        ...

    def has_item(self, item_id: ItemId) -> bool: ...

    def read(self, **asked: Unpack[LogQuery]) -> Iterator[Event]: ...

    def read_with_seq(self, **asked: Unpack[LogQuery]) -> Iterator[tuple[int, Event]]: ...

    def read_rows(self, *, since: int | None = None) -> Iterator[EventRecord]:
        """The log as stored — (seq, type, item id, time, JSON payload) — in append order,
        without decoding: the fast path for analytics exports (``store.events.arrow``)."""
        ...

    def for_item(self, item_id: ItemId) -> list[Event]: ...

    def latest_decision(self, item_id: ItemId) -> Decision | None: ...

    def decisions(self, **query: Unpack[DecisionQuery]) -> list[Decision]: ...

    def close(self) -> None: ...
