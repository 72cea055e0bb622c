"""Request and response bodies of the review queue and appeal endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from deepscreen.core.decisions import Action
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.core.tasks import QueueCount, ReviewTask
from deepscreen.review.assignment import Assignment


class ClaimIn(BaseModel):
    queues: list[str] = Field(
        default_factory=list, max_length=50, description="Queues to claim from; empty: any."
    )


class AssignmentOut(BaseModel):
    """A claimed task as its reviewer sees it (a gold item reads as an ordinary review)."""

    task_id: str
    item_id: str
    kind: str
    lease_expires_at: AwareDatetime | None
    due_at: AwareDatetime | None
    context: dict[str, Any]

    @classmethod
    def of(cls, assignment: Assignment) -> AssignmentOut:
        return cls(
            task_id=assignment.task_id,
            item_id=assignment.item_id,
            kind=assignment.kind.value,
            lease_expires_at=assignment.lease_expires_at,
            due_at=assignment.due_at,
            context=dict(assignment.context),
        )


class ClaimOut(BaseModel):
    task: AssignmentOut | None = Field(description="null: nothing to claim in those queues.")


class DecisionIn(BaseModel):
    verdict: Verdict
    reason_code: str = Field(min_length=1, max_length=64, description="From [review] reason_codes.")
    label: str = Field("", max_length=64, description="Finer class, e.g. deepfake.")
    action: Action | None = Field(None, description="Action applied; default from settings.")


class DecidedOut(BaseModel):
    task_id: str
    item_id: str
    status: str
    recorded_review: bool = Field(description="False for a gold item (graded, not a label).")
    banked: int


class QueueCountOut(BaseModel):
    queue: str
    status: str
    tasks: int
    overdue: int

    @classmethod
    def of(cls, count: QueueCount) -> QueueCountOut:
        return cls(
            queue=count.queue, status=count.status.value, tasks=count.tasks, overdue=count.overdue
        )


class TaskOut(BaseModel):
    """A task as a queue manager sees it (reviewers by pseudonym only: never their key)."""

    task_id: str
    item_id: str
    kind: str
    queue: str
    priority: float
    status: str
    created_at: AwareDatetime
    due_at: AwareDatetime | None

    @classmethod
    def of(cls, task: ReviewTask) -> TaskOut:
        return cls(
            task_id=task.task_id,
            item_id=task.item_id,
            kind=task.kind.value,
            queue=task.queue,
            priority=task.priority,
            status=task.status.value,
            created_at=task.created_at,
            due_at=task.due_at,
        )


class QueuesOut(BaseModel):
    counts: list[QueueCountOut]
    overdue: list[TaskOut]


class AppealIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=512)
    statement: str = Field("", max_length=5000, description="The creator's statement.")


class AppealResolutionIn(BaseModel):
    outcome: AppealOutcome
    reason_code: str = Field(min_length=1, max_length=64, description="From [review] reason_codes.")


class AppealResolvedOut(BaseModel):
    task_id: str
    item_id: str
    outcome: str
    restored: bool
