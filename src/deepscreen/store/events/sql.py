"""``SqlEventStore``: the event log on SQLite (embedded, WAL) or PostgreSQL, via SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Unpack

from sqlalchemy import Connection, insert, select, text
from sqlalchemy.exc import IntegrityError

from deepscreen.core.decisions import Decision
from deepscreen.core.events import Event
from deepscreen.core.imports import ImportRecord
from deepscreen.core.media import ItemId
from deepscreen.core.tasks import ReviewTask
from deepscreen.store.events import ports
from deepscreen.store.events.codec import decode_decision, decode_event
from deepscreen.store.events.import_rows import import_record, import_values
from deepscreen.store.events.rows import EventRow, encode_batch, encode_item_batch, item_tasks
from deepscreen.store.review.rows import item_task_rows, new_task_row
from deepscreen.store.review.sql import SqlReviewQueue
from deepscreen.store.review.statements import insert_new_tasks
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlStore
from deepscreen.store.times import stored_utc

_CHUNK = 1000
_PG_APPEND_LOCK = 0x6465_6570_7363_73


class _ItemExists(Exception):
    """Raised inside a transaction so that leaving it rolls back."""


class _ImportExists(Exception):
    """A concurrent import of the same content committed first: roll this one back."""


class SqlEventStore(SqlStore):
    """The ``EventStore`` over SQLAlchemy Core; every write method is one transaction, which
    holds an item's review tasks too (the ``review_tasks`` table of the same database).

    ``database``: a ``SqlDatabase`` to share, or the URL of one of its own (``SqlStore``):
    ``sqlite:///path.db``, ``sqlite:///:memory:`` or ``postgresql://...`` (psycopg 3).
    """

    kind = "event store"
    integrity = "refused the batch (an item recorded twice or a decision_id already used)"

    def append(self, events: Sequence[Event]) -> None:
        rows = encode_batch(events)
        if not rows:
            return
        with self._errors(), self._db.transaction() as conn:
            _append_rows(conn, rows)

    def append_import(
        self, record: ImportRecord, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()
    ) -> ImportRecord | None:
        """The events, the import's row and ``tasks`` in one transaction; the (kind, digest)
        primary key, not the prior SELECT, decides between concurrent imports of the same
        content."""
        rows = encode_batch(events)
        values = import_values(record)
        task_rows = [new_task_row(task) for task in tasks]  # all checked before writing
        try:
            with self._errors(), self._db.transaction() as conn:
                earlier = _find_import(conn, record.kind, record.digest)
                if earlier is not None:
                    return earlier
                if rows:
                    _append_rows(conn, rows)
                try:
                    conn.execute(insert(s.imports).values(**values))
                except IntegrityError:
                    raise _ImportExists from None  # leaving the block rolls the events back
                insert_new_tasks(conn, task_rows)
        except _ImportExists:
            with self._errors(), self._db.connection() as conn:
                return _find_import(conn, record.kind, record.digest)
        return None

    def record_item(self, events: Sequence[Event], *, tasks: Sequence[ReviewTask] = ()) -> bool:
        rows = encode_item_batch(events)
        task_rows = item_task_rows(rows[0].item_id, tasks)
        try:
            with self._errors(), self._db.transaction() as conn:
                seqs = _insert_events(conn, rows)
                try:
                    conn.execute(insert(s.items).values(item_id=rows[0].item_id, seq=seqs[0]))
                except IntegrityError:
                    # The primary key, not a prior SELECT, decides: safe with concurrent writers.
                    raise _ItemExists from None
                _insert_decisions(conn, rows, seqs)
                insert_new_tasks(conn, task_rows)  # the decision and its task commit together
        except _ItemExists:
            return False
        return True

    def record_items(
        self,
        items: Sequence[Sequence[Event]],
        *,
        tasks: Sequence[Sequence[ReviewTask]] | None = None,
    ) -> list[bool]:
        """One transaction for the whole batch: the ids already stored are read first and
        skipped; if a concurrent writer stores one of the others meanwhile, the transaction
        rolls back and the items are recorded one by one (each idempotent)."""
        per_item = item_tasks(items, tasks)
        batches = [encode_item_batch(events) for events in items]  # all checked first
        task_rows = [
            item_task_rows(rows[0].item_id, item_tasks_)
            for rows, item_tasks_ in zip(batches, per_item, strict=True)
        ]
        if not batches:
            return []
        ids = {rows[0].item_id for rows in batches}
        try:
            with self._errors(), self._db.transaction() as conn:
                query = select(s.items.c.item_id).where(s.items.c.item_id.in_(ids))
                seen = set(conn.execute(query).scalars())
                fresh, written = [], []
                for rows, new_tasks in zip(batches, task_rows, strict=True):
                    new = rows[0].item_id not in seen
                    seen.add(rows[0].item_id)
                    written.append(new)
                    if new:
                        fresh.append((rows, new_tasks))
                if fresh:
                    self._insert_items(conn, fresh)
            return written
        except _ItemExists:
            return [
                self.record_item(events, tasks=t) for events, t in zip(items, per_item, strict=True)
            ]

    def open_review_queue(self) -> SqlReviewQueue:
        """A review queue on this store's database: the queue ``record_item`` writes routed
        tasks into. (An in-memory SQLite database is one per engine, so there it is another,
        empty database: use a file or ``memory://``.)"""
        self._check_open()
        return SqlReviewQueue(self._db)

    @staticmethod
    def _insert_items(
        conn: Connection, fresh: Sequence[tuple[Sequence[EventRow], Sequence[dict[str, Any]]]]
    ) -> None:
        flat = [row for rows, _ in fresh for row in rows]
        seqs = _insert_events(conn, flat)
        firsts, at = [], 0
        for rows, _ in fresh:
            firsts.append({"item_id": rows[0].item_id, "seq": seqs[at]})
            at += len(rows)
        try:
            conn.execute(insert(s.items), firsts)
        except IntegrityError:
            raise _ItemExists from None
        _insert_decisions(conn, flat, seqs)
        insert_new_tasks(conn, [row for _, task_rows in fresh for row in task_rows])

    def has_item(self, item_id: ItemId) -> bool:
        query = select(s.items.c.item_id).where(s.items.c.item_id == item_id)
        with self._errors(), self._db.connection() as conn:
            return conn.execute(query).first() is not None

    def read(self, **asked: Unpack[ports.LogQuery]) -> Iterator[Event]:
        return (e for _, e in self.read_with_seq(**asked))

    def read_with_seq(self, **asked: Unpack[ports.LogQuery]) -> Iterator[tuple[int, Event]]:
        f = ports.LogFilter.of(**asked)
        query = select(s.events.c.seq, s.events.c.payload).order_by(s.events.c.seq)
        if f.since is not None:
            query = query.where(s.events.c.seq > f.since)
        if f.kinds is not None:
            query = query.where(s.events.c.event_type.in_(list(f.kinds)))
        self._check_open()
        return self._stream(query)

    def read_rows(self, *, since: int | None = None) -> Iterator[ports.EventRecord]:
        e = s.events.c
        query = select(e.seq, e.event_type, e.item_id, e.occurred_at, e.payload).order_by(e.seq)
        if since is not None:
            query = query.where(e.seq > since)
        self._check_open()
        return self._stream_rows(query)

    def _stream_rows(self, query: Any) -> Iterator[ports.EventRecord]:
        with self._errors(), self._db.connection() as conn:
            result = conn.execution_options(yield_per=_CHUNK).execute(query)
            for seq, event_type, item_id, occurred_at, payload in result:
                yield seq, event_type, item_id, stored_utc(occurred_at), payload

    def for_item(self, item_id: ItemId) -> list[Event]:
        query = (
            select(s.events.c.payload).where(s.events.c.item_id == item_id).order_by(s.events.c.seq)
        )
        with self._errors(), self._db.connection() as conn:
            return [decode_event(p) for p in conn.scalars(query)]

    def latest_decision(self, item_id: ItemId) -> Decision | None:
        d = s.decisions
        query = select(d.c.payload).where(d.c.item_id == item_id).order_by(d.c.seq.desc()).limit(1)
        with self._errors(), self._db.connection() as conn:
            payload = conn.scalar(query)
        return None if payload is None else decode_decision(payload)

    def decisions(self, **query: Unpack[ports.DecisionQuery]) -> list[Decision]:
        f = ports.DecisionFilter.of(**query)
        d = s.decisions
        chosen = select(d.c.payload).order_by(d.c.seq).limit(f.limit).offset(f.offset)
        if f.since is not None:
            chosen = chosen.where(d.c.decided_at >= f.since)
        if f.until is not None:
            chosen = chosen.where(d.c.decided_at < f.until)
        if f.policy_revision is not None:
            chosen = chosen.where(d.c.policy_revision == f.policy_revision)
        if f.action is not None:
            chosen = chosen.where(d.c.action == str(f.action))
        with self._errors(), self._db.connection() as conn:
            return [decode_decision(p) for p in conn.scalars(chosen)]

    def _stream(self, query: Any) -> Iterator[tuple[int, Event]]:
        with self._errors(), self._db.connection() as conn:
            # ``with``: a reader stopping early (closing the generator) closes the server cursor
            with conn.execution_options(yield_per=_CHUNK).execute(query) as result:
                for seq, payload in result:
                    yield seq, decode_event(payload)


def _append_rows(conn: Connection, rows: Sequence[EventRow]) -> None:
    """Write an ``append`` batch: events, the items it ingests, its decisions."""
    seqs = _insert_events(conn, rows)
    ingests = [(r, q) for r, q in zip(rows, seqs, strict=True) if r.event_type == "item_ingested"]
    if ingests:
        conn.execute(insert(s.items), [{"item_id": r.item_id, "seq": q} for r, q in ingests])
    _insert_decisions(conn, rows, seqs)


def _find_import(conn: Connection, kind: str, digest: str) -> ImportRecord | None:
    i = s.imports.c
    query = select(s.imports).where(i.kind == kind, i.digest == digest)
    row = conn.execute(query).mappings().first()
    return None if row is None else import_record(row)


def _insert_events(conn: Connection, rows: Sequence[EventRow]) -> list[int]:
    if conn.dialect.name == "postgresql":
        # Writers take turns so that commit order is seq order; otherwise a reader tailing with
        # ``since`` could pass seq 11 before seq 10 commits and never see 10. (SQLite has one
        # writer at a time already.)
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_APPEND_LOCK})
    stmt = insert(s.events).returning(s.events.c.seq, sort_by_parameter_order=True)
    values = [
        {
            "event_type": r.event_type,
            "item_id": r.item_id,
            "occurred_at": r.occurred_at,
            "payload": r.payload,
        }
        for r in rows
    ]
    return list(conn.scalars(stmt, values))


def _insert_decisions(conn: Connection, rows: Sequence[EventRow], seqs: Sequence[int]) -> None:
    values = []
    for row, seq in zip(rows, seqs, strict=True):
        decision = row.decision
        if decision is None or row.decision_payload is None:
            continue
        values.append(
            {
                "decision_id": decision.decision_id,
                "item_id": decision.item_id,
                "policy_revision": decision.policy_revision,
                "rule_id": decision.rule_id,
                "action": str(decision.action),
                "decided_at": decision.decided_at,
                "seq": seq,
                "payload": row.decision_payload,
            }
        )
    if values:
        conn.execute(insert(s.decisions), values)
