"""``InMemoryEventStore``: a full, thread-safe fake of the ``EventStore`` contract."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import InvalidInput, StoreUnavailable
from deepscreen.core.events import DecisionMade, Event
from deepscreen.core.media import ItemId
from deepscreen.store.ports import EventRecord
from deepscreen.store.records import (
    EventRow,
    check_decision_query,
    check_kinds,
    check_time_range,
    encode_batch,
    encode_item_batch,
)


class InMemoryEventStore:
    """The event log in a list, behind a lock.

    Events go through the same codec as ``SqlEventStore``, so the same inputs are refused and
    reads return the same (UTC-normalised) values.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: list[tuple[int, Event]] = []
        self._payloads: list[str] = []  # the codec's text of each logged event, in order
        self._items: set[ItemId] = set()
        self._decision_ids: set[str] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"InMemoryEventStore({len(self._log)} events)"

    def append(self, events: Sequence[Event]) -> None:
        rows = encode_batch(events)
        with self._lock:
            self._check_open()
            self._write(rows)

    def record_item(self, events: Sequence[Event]) -> bool:
        rows = encode_item_batch(events)
        with self._lock:
            self._check_open()
            if rows[0].item_id in self._items:
                return False
            self._write(rows)
            return True

    def record_items(self, items: Sequence[Sequence[Event]]) -> list[bool]:
        batches = [encode_item_batch(events) for events in items]  # all checked first
        with self._lock:
            self._check_open()
            written = []
            for rows in batches:
                new = rows[0].item_id not in self._items
                if new:
                    self._write(rows)
                written.append(new)
            return written

    def has_item(self, item_id: ItemId) -> bool:
        with self._lock:
            self._check_open()
            return item_id in self._items

    def read(
        self, *, since: int | None = None, kinds: Collection[str] | None = None
    ) -> Iterator[Event]:
        return (e for _, e in self.read_with_seq(since=since, kinds=kinds))

    def read_with_seq(
        self, *, since: int | None = None, kinds: Collection[str] | None = None
    ) -> Iterator[tuple[int, Event]]:
        check_kinds(kinds)
        with self._lock:
            self._check_open()
            log = list(self._log)  # a snapshot: appends after this call are not seen
        wanted = None if kinds is None else frozenset(kinds)
        return (
            (seq, e)
            for seq, e in log
            if (since is None or seq > since) and (wanted is None or e.type in wanted)
        )

    def read_rows(self, *, since: int | None = None) -> Iterator[EventRecord]:
        with self._lock:
            self._check_open()
            log, payloads = list(self._log), list(self._payloads)
        return (
            (seq, e.type, e.item_id, e.occurred_at, text)
            for (seq, e), text in zip(log, payloads, strict=True)
            if since is None or seq > since
        )

    def for_item(self, item_id: ItemId) -> list[Event]:
        with self._lock:
            self._check_open()
            return [e for _, e in self._log if e.item_id == item_id]

    def latest_decision(self, item_id: ItemId) -> Decision | None:
        found = [d for d in self._all_decisions() if d.item_id == item_id]
        return found[-1] if found else None

    def decisions(
        self,
        *,
        policy_revision: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Decision]:
        check_decision_query(action, limit, offset)
        since, until = check_time_range(since, until)
        found = [
            d
            for d in self._all_decisions()
            if (policy_revision is None or d.policy_revision == policy_revision)
            and (action is None or d.action == action)
            and (since is None or d.decided_at >= since)
            and (until is None or d.decided_at < until)
        ]
        return found[offset : offset + limit]

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable("in-memory event store is closed")

    def _all_decisions(self) -> list[Decision]:
        with self._lock:
            self._check_open()
            return [e.decision for _, e in self._log if isinstance(e, DecisionMade)]

    def _write(self, rows: Sequence[EventRow]) -> None:
        """Check the constraints the SQL schema enforces, then write every row; hold the lock."""
        items = [r.item_id for r in rows if r.event_type == "item_ingested"]
        decision_ids = [r.decision.decision_id for r in rows if r.decision is not None]
        for kind, new, old in (
            ("item", items, self._items),
            ("decision_id", decision_ids, self._decision_ids),
        ):
            if len(set(new)) != len(new) or not old.isdisjoint(new):
                raise InvalidInput(
                    f"in-memory event store refused the batch: a {kind} recorded twice in {new!r}"
                )
        first = self._log[-1][0] + 1 if self._log else 1
        self._log.extend((first + i, r.event) for i, r in enumerate(rows))
        self._payloads.extend(r.payload for r in rows)
        self._items.update(items)
        self._decision_ids.update(decision_ids)
