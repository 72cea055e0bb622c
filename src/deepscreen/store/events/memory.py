"""``InMemoryEventStore``: a full, thread-safe fake of the ``EventStore`` contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Unpack

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import DecisionMade, Event
from deepscreen.core.imports import ImportRecord
from deepscreen.core.media import ItemId
from deepscreen.core.tasks import ReviewTask
from deepscreen.store.events import ports
from deepscreen.store.events.import_rows import import_record, import_values
from deepscreen.store.events.rows import EventRow, encode_batch, encode_item_batch, item_tasks
from deepscreen.store.memory import InMemoryStore
from deepscreen.store.review.memory import InMemoryReviewQueue
from deepscreen.store.review.rows import item_task_rows, new_task_row, row_task


class InMemoryEventStore(InMemoryStore):
    """The event log in a list, behind a lock.

    Events go through the same codec as ``SqlEventStore``, so the same inputs are refused and
    reads return the same (UTC-normalised) values. ``review_queue`` (its own by default) is the
    queue of this "database": routed tasks are added to it with their item's events.
    """

    closed_message = "in-memory event store is closed"

    def __init__(self, review_queue: InMemoryReviewQueue | None = None) -> None:
        super().__init__()
        # Where ``record_item`` adds an item's routed tasks, atomically with its events.
        self.review_queue = review_queue if review_queue is not None else InMemoryReviewQueue()
        self._log: list[tuple[int, Event]] = []
        self._payloads: list[str] = []  # the codec's text of each logged event, in order
        self._items: set[ItemId] = set()
        self._decision_ids: set[str] = set()
        self._imports: dict[tuple[str, str], ImportRecord] = {}  # (kind, digest) -> record

    def __repr__(self) -> str:
        return f"InMemoryEventStore({len(self._log)} events)"

    def append(self, events: Sequence[Event]) -> None:
        rows = encode_batch(events)
        with self._lock:
            self._check_open()
            self._write(rows)

    def append_import(
        self, record: ImportRecord, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()
    ) -> ImportRecord | None:
        rows = encode_batch(events)
        stored = import_record(import_values(record))
        staged = [row_task(new_task_row(task)) for task in tasks]  # checked before writing
        with self._lock, self._tasks_put(bool(staged)) as put:
            self._check_open()
            earlier = self._imports.get((stored.kind, stored.digest))
            if earlier is not None:
                return earlier
            # raises before the record is kept: events, tasks and record, or none of them
            self._write(rows, partial(put, staged))
            self._imports[stored.kind, stored.digest] = stored
            return None

    def record_item(self, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()) -> bool:
        return self.record_items([events], tasks=[tasks])[0]

    def record_items(
        self,
        items: Sequence[Sequence[Event]],
        *,
        tasks: Sequence[Sequence[ReviewTask]] | None = None,
    ) -> list[bool]:
        per_item = item_tasks(items, tasks)
        batches = [encode_item_batch(events) for events in items]  # all checked first
        staged = [_staged(rows[0].item_id, t) for rows, t in zip(batches, per_item, strict=True)]
        with self._lock, self._tasks_put(any(staged)) as put:
            self._check_open()
            written = []
            for rows, item_tasks_ in zip(batches, staged, strict=True):
                new = rows[0].item_id not in self._items
                if new:
                    self._write(rows, partial(put, item_tasks_))
                written.append(new)
            return written

    def has_item(self, item_id: ItemId) -> bool:
        with self._lock:
            self._check_open()
            return item_id in self._items

    def read(self, **asked: Unpack[ports.LogQuery]) -> Iterator[Event]:
        return (e for _, e in self.read_with_seq(**asked))

    def read_with_seq(self, **asked: Unpack[ports.LogQuery]) -> Iterator[tuple[int, Event]]:
        f = ports.LogFilter.of(**asked)
        with self._lock:
            self._check_open()
            log = list(self._log)  # a snapshot: appends after this call are not seen
        wanted = None if f.kinds is None else frozenset(f.kinds)
        return (
            (seq, e)
            for seq, e in log
            if (f.since is None or seq > f.since) and (wanted is None or e.type in wanted)
        )

    def read_rows(self, *, since: int | None = None) -> Iterator[ports.EventRecord]:
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

    def decisions(self, **query: Unpack[ports.DecisionQuery]) -> list[Decision]:
        f = ports.DecisionFilter.of(**query)
        found = [
            d
            for d in self._all_decisions()
            if (f.policy_revision is None or d.policy_revision == f.policy_revision)
            and (f.action is None or d.action == f.action)
            and (f.since is None or d.decided_at >= f.since)
            and (f.until is None or d.decided_at < f.until)
        ]
        return found[f.offset : f.offset + f.limit]

    def _all_decisions(self) -> list[Decision]:
        with self._lock:
            self._check_open()
            return [e.decision for _, e in self._log if isinstance(e, DecisionMade)]

    def _tasks_put(self, needed: bool) -> AbstractContextManager[Callable[[list[ReviewTask]], int]]:
        """The review queue's locked ``put`` when tasks are to be written (else a no-op, so a
        closed queue does not stop an item without tasks); lock order: events, then tasks."""
        return self.review_queue.holding() if needed else nullcontext(lambda _tasks: 0)

    def _write(self, rows: Sequence[EventRow], then: Callable[[], object] = lambda: None) -> None:
        """Check the constraints the SQL schema enforces, run ``then`` (the item's tasks), then
        write every row: a failure of either leaves nothing written. Hold the lock."""
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
        then()
        first = self._log[-1][0] + 1 if self._log else 1
        self._log.extend((first + i, r.event) for i, r in enumerate(rows))
        self._payloads.extend(r.payload for r in rows)
        self._items.update(items)
        self._decision_ids.update(decision_ids)


def _staged(item_id: ItemId, tasks: Sequence[ReviewTask]) -> list[ReviewTask]:
    """An item's tasks checked and round-tripped as the review queue stores them."""
    return [row_task(row) for row in item_task_rows(item_id, tasks)]
