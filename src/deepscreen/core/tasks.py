"""Review tasks: the unit of human work in a review queue (a routed decision, an appeal, a gold
item) and its lease. Plain values, in ``core`` because both ``review`` (routing, priority) and
``store`` (the queue adapters) use them, and those siblings must not import each other."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deepscreen.core.media import ItemId


class TaskKind(StrEnum):
    """``review``: a decision routed to people; ``appeal``: a complaint against an enforcing
    decision; ``gold``: an already-labelled item served to measure reviewer accuracy."""

    REVIEW = "review"
    APPEAL = "appeal"
    GOLD = "gold"


class TaskStatus(StrEnum):
    """``claimed`` with an expired lease is claimable again, exactly like ``open``."""

    OPEN = "open"
    CLAIMED = "claimed"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewTask:
    """One task in a queue.

    ``priority`` orders a queue (higher first, then older ``created_at``); ``due_at`` is the
    queue's SLA deadline. A claim gives ``claimed_by`` a lease until ``lease_expires_at``;
    ``claims`` counts claims so far. ``exclude_reviewer`` may never claim the task (an appeal is
    not judged by the reviewer who made the decision). ``payload`` is a JSON object: routing
    context, the hidden answer of a gold item, and, once done, the outcome.
    """

    task_id: str
    item_id: ItemId
    kind: TaskKind
    queue: str
    priority: float
    created_at: datetime
    due_at: datetime | None = None
    status: TaskStatus = TaskStatus.OPEN
    claimed_by: str | None = None
    lease_expires_at: datetime | None = None
    claims: int = 0
    exclude_reviewer: str | None = None
    decision_id: str | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)

    def lease_valid(self, now: datetime) -> bool:
        """A claim whose lease has not expired at ``now`` (expiry is exclusive)."""
        return (
            self.status is TaskStatus.CLAIMED
            and self.lease_expires_at is not None
            and now < self.lease_expires_at
        )

    def held_by(self, reviewer: str, now: datetime) -> bool:
        """``reviewer`` holds a valid lease on the task at ``now``."""
        return self.lease_valid(now) and self.claimed_by == reviewer

    def claimable_by(self, reviewer: str, now: datetime) -> bool:
        """Open, or claimed under an expired lease, and ``reviewer`` is not excluded."""
        if self.exclude_reviewer == reviewer or self.status is TaskStatus.DONE:
            return False
        return self.status is TaskStatus.OPEN or not self.lease_valid(now)

    def overdue(self, now: datetime) -> bool:
        """Not done and past its SLA deadline."""
        return self.status is not TaskStatus.DONE and self.due_at is not None and self.due_at < now


@dataclass(frozen=True, slots=True)
class QueueCount:
    """How many tasks of one queue have one status, and how many of those are overdue."""

    queue: str
    status: TaskStatus
    tasks: int
    overdue: int
