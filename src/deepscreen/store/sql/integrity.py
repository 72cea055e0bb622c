"""The invariants between the event log and the review queue of one database, as read-only SQL
queries (``deepscreen db check``); see ``docs/internals/store.md``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, exists, func, select

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.tasks import TaskKind
from deepscreen.store.events.codec import decode_decision
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlStore

d, t = s.decisions, s.review_tasks


@dataclass(frozen=True, slots=True)
class DuplicateDecisions:
    """Decisions of one item under one policy revision, in append order (more than one)."""

    item_id: str
    policy_revision: str
    decision_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OrphanTask:
    """A review-queue task whose ``decision_id`` names no stored decision."""

    task_id: str
    kind: str
    status: str
    item_id: str
    decision_id: str


class SqlIntegrity(SqlStore):
    """The invariant queries over one database (``database`` and ``schema`` as for
    ``SqlEventStore``; the schema version is checked on open): every ``review`` decision has its
    review task; an item has at most one decision per policy revision; no task points at a
    decision that is not stored."""

    kind = "database"

    def count_untasked_reviews(self) -> int:
        """How many ``review`` decisions have no review task."""
        query = select(func.count()).select_from(d).where(_untasked())
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def untasked_reviews(self, *, after: int = 0, limit: int = 1000) -> list[tuple[int, Decision]]:
        """``review`` decisions without a review task, as (seq, decision) in append order from
        after sequence number ``after``: page with the last seq returned."""
        query = (
            select(d.c.seq, d.c.payload)
            .where(_untasked(), d.c.seq > after)
            .order_by(d.c.seq)
            .limit(limit)
        )
        with self._read() as conn:
            return [(int(seq), decode_decision(p)) for seq, p in conn.execute(query)]

    def duplicate_decisions(self, *, limit: int = 100) -> tuple[int, list[DuplicateDecisions]]:
        """How many (item, policy revision) pairs hold more than one decision, and the first
        ``limit`` of them (in order of their first decision)."""
        groups = (
            select(d.c.item_id, d.c.policy_revision, func.min(d.c.seq).label("first"))
            .group_by(d.c.item_id, d.c.policy_revision)
            .having(func.count() > 1)
            .subquery()
        )
        with self._read() as conn:
            total = int(conn.execute(select(func.count()).select_from(groups)).scalar_one())
            pairs = conn.execute(
                select(groups.c.item_id, groups.c.policy_revision)
                .order_by(groups.c.first)
                .limit(limit)
            ).all()
            found = []
            for item_id, revision in pairs:
                ids = conn.scalars(
                    select(d.c.decision_id)
                    .where(d.c.item_id == item_id, d.c.policy_revision == revision)
                    .order_by(d.c.seq)
                )
                found.append(DuplicateDecisions(item_id, revision, tuple(ids)))
        return total, found

    def orphan_tasks(self, *, limit: int = 100) -> tuple[int, list[OrphanTask]]:
        """How many tasks name a decision that is not stored, and the first ``limit`` of them
        (by task id)."""
        orphan = and_(
            t.c.decision_id.is_not(None),
            ~exists().where(d.c.decision_id == t.c.decision_id),
        )
        columns = (t.c.task_id, t.c.kind, t.c.status, t.c.item_id, t.c.decision_id)
        with self._read() as conn:
            total = int(
                conn.execute(select(func.count()).select_from(t).where(orphan)).scalar_one()
            )
            rows = conn.execute(select(*columns).where(orphan).order_by(t.c.task_id).limit(limit))
            return total, [OrphanTask(*row) for row in rows]

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._db.connect() as conn:
            yield conn


def _untasked() -> ColumnElement[bool]:
    """A ``review`` decision with no review task for it (matched on the task's indexed
    ``item_id``, then its ``decision_id``)."""
    has_task = exists().where(
        t.c.item_id == d.c.item_id,
        t.c.decision_id == d.c.decision_id,
        t.c.kind == TaskKind.REVIEW.value,
    )
    return and_(d.c.action == Action.REVIEW.value, ~has_task)
