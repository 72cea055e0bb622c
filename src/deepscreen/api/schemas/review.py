"""Request and response bodies of the review queue and appeal endpoints."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from deepscreen.core.decisions import Action
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.core.tasks import QueueCount, ReviewTask
from deepscreen.service.review_queue import Assignment
from deepscreen.service.takedown_resolve import TakedownResolution


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
    action: Action | None = Field(
        None,
        description=(
            "Action a violation applies: one the loaded policy applies (the reviewer UI's "
            "choices; any other is a 422 naming them); default: the routing rule's "
            "violating_action, else [review] violating_action; remove for a takedown (an NCII "
            "notice takes remove only). A clearance takes none (or allow)."
        ),
    )


class TakedownOut(BaseModel):
    """What deciding a takedown task did (``service.takedown_resolve``)."""

    notice_id: str
    removed: bool = Field(description="Decided violating with the action remove.")
    banked: int = Field(description="PDQ hashes of the item banked in the takedown bank.")
    not_banked_because: str | None = Field(description="Why a removal banked nothing.")
    closed_tasks: list[str] = Field(description="The item's other review tasks closed.")
    copies_removed: int = Field(description="Stored copies the sweep removed.")
    copy_item_ids: list[str] = Field(description="The item ids of those copies.")

    @classmethod
    def of(cls, resolution: TakedownResolution) -> TakedownOut:
        copies = resolution.sweep.copies if resolution.sweep is not None else ()
        return cls(
            notice_id=resolution.notice_id,
            removed=resolution.removed,
            banked=len(resolution.banked),
            not_banked_because=resolution.not_banked_because,
            closed_tasks=list(resolution.closed_tasks),
            copies_removed=len(copies),
            copy_item_ids=[c.item_id for c in copies],
        )


class DecidedOut(BaseModel):
    task_id: str
    item_id: str
    status: str
    recorded_review: bool = Field(description="False for a gold item (graded, not a label).")
    banked: int = Field(description="Hashes banked by the label (e.g. a confirmed deepfake).")
    takedown: TakedownOut | None = Field(
        None, description="What a takedown task's decision did; null for any other task."
    )


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
