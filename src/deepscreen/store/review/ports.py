"""The ReviewQueueStore port: review tasks under leases, claimed by one reviewer at a time."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Required, TypedDict, Unpack

from deepscreen.core.tasks import QueueCount, ReviewTask, TaskKind, TaskStatus
from deepscreen.store.review.rows import (
    NOT_AWARE,
    check_lease,
    check_page,
    check_reviewer,
    selected,
)
from deepscreen.store.times import require_aware_datetime


class TaskQuery(TypedDict, total=False):
    """``list_tasks``' keyword arguments, every one optional (``TaskFilter.of`` applies the
    defaults): the filters (None: no filter), then the page."""

    queues: Collection[str] | None
    statuses: Collection[TaskStatus] | None
    kinds: Collection[TaskKind] | None
    item_id: str | None
    completed_by: str | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """A ``list_tasks`` query with its defaults, checked (the page first, then the filters):
    each collection filter as a list of names (None: no filter)."""

    limit: int
    offset: int
    queues: list[str] | None
    statuses: list[str] | None
    kinds: list[str] | None
    item_id: str | None
    completed_by: str | None

    @classmethod
    def of(cls, **query: Unpack[TaskQuery]) -> TaskFilter:
        """No filter, ``limit`` 100 and ``offset`` 0 unless given; ``InvalidInput`` for a page
        out of range, then for a filter given as a bare string."""
        limit, offset = query.get("limit", 100), query.get("offset", 0)
        check_page(limit, offset)
        return cls(
            limit=limit,
            offset=offset,
            queues=selected(query.get("queues"), "queues"),
            statuses=selected(query.get("statuses"), "statuses"),
            kinds=selected(query.get("kinds"), "kinds"),
            item_id=query.get("item_id"),
            completed_by=query.get("completed_by"),
        )


class ClaimQuery(TypedDict, total=False):
    """``claim_next``' keyword arguments: the time and the lease (required), then the filters
    (None: no filter)."""

    now: Required[datetime]
    lease_seconds: Required[float]
    queues: Collection[str] | None
    kinds: Collection[TaskKind] | None


@dataclass(frozen=True, slots=True)
class Claim:
    """A ``claim_next`` request, checked: the time in UTC, the lease in seconds and each
    filter as a list of names (None: no filter)."""

    now: datetime
    lease_seconds: float
    queues: list[str] | None
    kinds: list[str] | None

    @classmethod
    def of(cls, reviewer: str, **query: Unpack[ClaimQuery]) -> Claim:
        """``InvalidInput`` for a bad reviewer, then a naive ``now``, then a bad lease, then
        a filter given as a bare string."""
        check_reviewer(reviewer)
        now = require_aware_datetime(query["now"], "now", NOT_AWARE)
        lease = check_lease(query["lease_seconds"])
        return cls(
            now=now,
            lease_seconds=lease,
            queues=selected(query.get("queues"), "queues"),
            kinds=selected(query.get("kinds"), "kinds"),
        )


class OverdueQuery(TypedDict, total=False):
    """``overdue``' keyword arguments: the time (required), the queues (None: every queue),
    then the page."""

    now: Required[datetime]
    queues: Collection[str] | None
    limit: int
    offset: int


@dataclass(frozen=True, slots=True)
class OverduePage:
    """An ``overdue`` query with its defaults, checked: the time in UTC, the page, the queues
    as a list of names (None: no filter)."""

    now: datetime
    limit: int
    offset: int
    queues: list[str] | None

    @classmethod
    def of(cls, **query: Unpack[OverdueQuery]) -> OverduePage:
        """Every queue, ``limit`` 100 and ``offset`` 0 unless given; ``InvalidInput`` for a
        naive ``now``, then a page out of range, then ``queues`` given as a bare string."""
        now = require_aware_datetime(query["now"], "now", NOT_AWARE)
        limit, offset = query.get("limit", 100), query.get("offset", 0)
        check_page(limit, offset)
        return cls(
            now=now, limit=limit, offset=offset, queues=selected(query.get("queues"), "queues")
        )


class ReviewQueueStore(Protocol):
    """Review tasks (``core.tasks.ReviewTask``) and their leases.

    Obligations:
    - Every time is passed in (``now``); nothing reads a clock. Naive datetimes are refused
      with ``InvalidInput``; reads return times in UTC. A lease is valid while
      ``now < lease_expires_at``.
    - ``add`` is idempotent on ``task_id``: a task already stored is left as it is (not
      updated); it returns how many tasks were new. Tasks are added ``open``, unclaimed and not
      done (else ``InvalidInput``, nothing written); the payload must be a JSON object.
    - ``claim_next`` gives ``reviewer`` the claimable task (``open``, or ``claimed`` under an
      expired lease; never one whose ``exclude_reviewer`` is the reviewer) of the highest
      priority, then the oldest ``created_at``, then the smallest ``task_id``, from ``queues``
      (None: every queue) and ``kinds`` (None: every kind); it sets ``claimed_by``, a lease
      until ``now + lease_seconds`` and counts the claim. None when nothing is claimable.
      **No task is ever held by two reviewers at once, under any concurrency** (separate store
      instances, processes, hosts). ``claim`` does the same for one task by id, raising
      ``TaskNotFound`` or ``LeaseNotHeld`` (not claimable by this reviewer now).
    - ``renew`` extends, ``release`` gives up (back to ``open``), and ``complete`` finishes
      (``done``, ``completed_at``/``completed_by`` set, ``outcome`` stored under the payload's
      ``"outcome"`` key) a task only for the reviewer holding a valid lease; otherwise
      ``LeaseNotHeld`` (``TaskNotFound`` for an unknown id) and nothing changes.
    - ``list_tasks`` pages (``limit``/``offset``) in claim order: priority descending, then
      ``created_at``, then ``task_id``. ``overdue`` pages through tasks not done whose
      ``due_at`` is before ``now``, earliest deadline first. ``counts`` gives, per queue and
      status with at least one task, the number of tasks and of overdue ones.
    - After ``close`` every call raises ``StoreUnavailable``.
    Don't: hold a transaction or a lock across calls; swallow backend errors (raise
    ``StoreUnavailable``).
    """

    def add(self, tasks: Sequence[ReviewTask]) -> int: ...

    def claim_next(self, reviewer: str, **claim: Unpack[ClaimQuery]) -> ReviewTask | None: ...

    def claim(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask: ...

    def renew(
        self, task_id: str, reviewer: str, *, now: datetime, lease_seconds: float
    ) -> ReviewTask: ...

    def release(self, task_id: str, reviewer: str, *, now: datetime) -> ReviewTask: ...

    def complete(
        self, task_id: str, reviewer: str, *, now: datetime, outcome: Mapping[str, Any]
    ) -> ReviewTask: ...

    def get(self, task_id: str) -> ReviewTask:
        """The task (``TaskNotFound`` if there is none with that id)."""
        ...

    def list_tasks(self, **query: Unpack[TaskQuery]) -> list[ReviewTask]: ...

    def overdue(self, **page: Unpack[OverdueQuery]) -> list[ReviewTask]: ...

    def counts(self, *, now: datetime) -> list[QueueCount]:
        """Sorted by queue, then status (open, claimed, done)."""
        ...

    def close(self) -> None: ...
