"""Checks and row mapping shared by the review queue adapters (SQL and in-memory), so both
refuse the same inputs and read back the same values."""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from deepscreen.core.errors import InvalidInput, LeaseNotHeld
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.store.times import require_aware_datetime, stored_utc_or_none

MAX_PAGE = 10_000
STATUS_ORDER = {TaskStatus.OPEN: 0, TaskStatus.CLAIMED: 1, TaskStatus.DONE: 2}
NOT_AWARE = "{what} must be a timezone-aware datetime, got {value!r}"
"""How a queue refuses a naive time, or anything but a datetime (it compares instants)."""


def check_lease(lease_seconds: float) -> float:
    if not (_finite(lease_seconds) and lease_seconds > 0):
        raise InvalidInput(f"lease_seconds must be a positive number, got {lease_seconds!r}")
    return float(lease_seconds)


def check_page(limit: int, offset: int) -> None:
    if not 0 <= limit <= MAX_PAGE or offset < 0:
        raise InvalidInput(f"need 0 <= limit <= {MAX_PAGE} and offset >= 0, got {limit}, {offset}")


def check_reviewer(reviewer: str) -> str:
    if not isinstance(reviewer, str) or not reviewer.strip() or "\x00" in reviewer:
        raise InvalidInput(f"reviewer must be a non-empty name, got {reviewer!r}")
    return reviewer


def payload_text(payload: Mapping[str, Any], where: str) -> str:
    """The payload as JSON text; ``InvalidInput`` for anything a JSON object cannot hold."""
    if not isinstance(payload, Mapping):
        raise InvalidInput(f"{where}: payload must be a JSON object, got {payload!r}")
    try:
        return json.dumps(payload, sort_keys=True, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{where}: payload cannot be stored as JSON: {exc}") from exc


def done_payload(payload: Mapping[str, Any], outcome: Mapping[str, Any], task_id: str) -> str:
    """A done task's payload as JSON text: the stored one with ``outcome`` added."""
    where = f"task {task_id!r}"
    if not isinstance(outcome, Mapping):
        raise InvalidInput(f"{where}: outcome must be a JSON object, got {outcome!r}")
    return payload_text({**payload, "outcome": dict(outcome)}, where)


def new_task_row(task: ReviewTask) -> dict[str, Any]:
    """The row of a task to add: open, unclaimed, not done, UTC times, JSON payload."""
    where = f"task {task.task_id!r}"
    if not isinstance(task.task_id, str) or not task.task_id or "\x00" in task.task_id:
        raise InvalidInput(f"task_id must be a non-empty string, got {task.task_id!r}")
    if not task.item_id or not task.queue:
        raise InvalidInput(f"{where}: item_id and queue must be non-empty")
    if task.kind not in set(TaskKind) or not _finite(task.priority):
        raise InvalidInput(f"{where}: bad kind {task.kind!r} or priority {task.priority!r}")
    claimed = (task.claimed_by, task.lease_expires_at, task.completed_at, task.completed_by)
    if task.status is not TaskStatus.OPEN or any(v is not None for v in claimed) or task.claims:
        raise InvalidInput(f"{where}: tasks are added open, unclaimed and not done")
    return {
        "task_id": task.task_id,
        "item_id": task.item_id,
        "kind": TaskKind(task.kind).value,
        "queue": task.queue,
        "priority": float(task.priority),
        "status": TaskStatus.OPEN.value,
        "created_at": require_aware_datetime(task.created_at, f"{where}: created_at", NOT_AWARE),
        "due_at": (
            None
            if task.due_at is None
            else require_aware_datetime(task.due_at, f"{where}: due_at", NOT_AWARE)
        ),
        "claimed_by": None,
        "lease_expires_at": None,
        "claims": 0,
        "exclude_reviewer": task.exclude_reviewer,
        "decision_id": task.decision_id,
        "completed_at": None,
        "completed_by": None,
        "payload": payload_text(task.payload, where),
    }


def item_task_rows(item_id: str, tasks: Sequence[ReviewTask]) -> list[dict[str, Any]]:
    """The rows of the tasks an event store writes with an item's events (checked as by
    ``new_task_row``); a task of another item is refused: it would be written, or skipped,
    with the wrong item."""
    for task in tasks:
        if task.item_id != item_id:
            raise InvalidInput(
                f"task {task.task_id!r} is for item {task.item_id!r}, recorded with {item_id!r}"
            )
    return [new_task_row(task) for task in tasks]


def row_task(row: Mapping[Any, Any]) -> ReviewTask:
    return ReviewTask(
        task_id=row["task_id"],
        item_id=row["item_id"],
        kind=TaskKind(row["kind"]),
        queue=row["queue"],
        priority=float(row["priority"]),
        created_at=stored_utc_or_none(row["created_at"]) or _missing("created_at"),
        due_at=stored_utc_or_none(row["due_at"]),
        status=TaskStatus(row["status"]),
        claimed_by=row["claimed_by"],
        lease_expires_at=stored_utc_or_none(row["lease_expires_at"]),
        claims=int(row["claims"]),
        exclude_reviewer=row["exclude_reviewer"],
        decision_id=row["decision_id"],
        completed_at=stored_utc_or_none(row["completed_at"]),
        completed_by=row["completed_by"],
        payload=json.loads(row["payload"]),
    )


def lease_error(task: ReviewTask, reviewer: str, now: datetime, verb: str) -> LeaseNotHeld:
    """Why ``reviewer`` may not ``verb`` the task now (the holder is not named: the message may
    reach another reviewer)."""
    if task.status is TaskStatus.DONE:
        why = "it is already done"
    elif task.status is TaskStatus.OPEN:
        why = "it is not claimed"
    elif task.claimed_by != reviewer:
        why = "another reviewer holds it"
    else:
        why = f"the lease expired at {task.lease_expires_at:%Y-%m-%dT%H:%M:%SZ}"
    return LeaseNotHeld(f"{reviewer!r} cannot {verb} task {task.task_id!r} now: {why}")


def not_claimable(task: ReviewTask, reviewer: str, now: datetime) -> LeaseNotHeld:
    if task.exclude_reviewer == reviewer:
        why = "this reviewer is excluded from it"
    elif task.status is TaskStatus.DONE:
        why = "it is already done"
    else:
        why = f"another reviewer holds it until {task.lease_expires_at:%Y-%m-%dT%H:%M:%SZ}"
    return LeaseNotHeld(f"{reviewer!r} cannot claim task {task.task_id!r} now: {why}")


def claim_order(task: ReviewTask) -> tuple[float, datetime, str]:
    """Sort key: highest priority first, then oldest, then task id."""
    return (-task.priority, task.created_at, task.task_id)


def selected(values: Collection[Any] | None, name: str) -> list[str] | None:
    """A filter as a list of strings (None: no filter); a bare string is refused."""
    if values is None:
        return None
    if isinstance(values, str):
        raise InvalidInput(f"{name} must be a collection of names, not the string {values!r}")
    return [str(v) for v in values]


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _missing(column: str) -> datetime:
    raise InvalidInput(f"stored task has no {column}")
