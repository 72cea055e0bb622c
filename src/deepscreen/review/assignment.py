"""What a reviewer is shown of a claimed task: never a gold item's answer, nor that it is gold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deepscreen.core.tasks import ReviewTask, TaskKind
from deepscreen.review.routing import CONTEXT


@dataclass(frozen=True, slots=True)
class Assignment:
    """A claimed task as its reviewer sees it.

    Gold tasks are blind: ``kind`` reads ``review`` and the answer, the queue and the priority
    are left out, so a reviewer cannot judge gold items more carefully than the rest.
    """

    task_id: str
    item_id: str
    kind: TaskKind
    lease_expires_at: datetime | None
    due_at: datetime | None
    context: Mapping[str, Any] = field(default_factory=dict)


def assignment(task: ReviewTask) -> Assignment:
    kind = TaskKind.REVIEW if task.kind is TaskKind.GOLD else task.kind
    return Assignment(
        task_id=task.task_id,
        item_id=task.item_id,
        kind=kind,
        lease_expires_at=task.lease_expires_at,
        due_at=task.due_at,
        context=dict(task.payload.get(CONTEXT, {})),
    )
