"""Review queue and appeal endpoints: thin shells over ``service.review_hosted`` (the caller's
API key is the reviewer; every change is audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, status

from deepscreen.api.context import Caller, Context, authenticated_router
from deepscreen.api.schemas.review import (
    AppealIn,
    AppealResolutionIn,
    AppealResolvedOut,
    AssignmentOut,
    ClaimIn,
    ClaimOut,
    DecidedOut,
    DecisionIn,
    QueueCountOut,
    QueuesOut,
    TakedownOut,
    TaskOut,
)
from deepscreen.service import review_hosted

router = authenticated_router("review", 400, 401, 403, 404, 409, 413, 422, 500, 503)


@router.get("/v1/review/queues", name="review_queues", operation_id="review_queues")
def queues(
    ctx: Context, limit: Annotated[int, Query(ge=1, le=1000, description="Overdue tasks.")] = 100
) -> QueuesOut:
    """Tasks per queue and status, and the overdue ones (past their queue's SLA)."""
    view = review_hosted.overview(ctx.services, limit=limit)
    return QueuesOut(
        counts=[QueueCountOut.of(c) for c in view.counts],
        overdue=[TaskOut.of(t) for t in view.overdue],
    )


@router.post("/v1/review/claim", name="review_claim", operation_id="review_claim")
def claim(ctx: Context, caller: Caller, body: ClaimIn) -> ClaimOut:
    """Lease the most urgent task (expected harm averted per review minute) to the caller; an
    appeal is never given to the reviewer who made the decision under appeal."""
    assignment = review_hosted.claim(ctx.services, ctx.stores, principal=caller, queues=body.queues)
    return ClaimOut(task=None if assignment is None else AssignmentOut.of(assignment))


@router.post("/v1/review/tasks/{task_id}/renew", name="review_renew", operation_id="review_renew")
def renew(ctx: Context, caller: Caller, task_id: str) -> AssignmentOut:
    """Extend the caller's lease on a task it holds."""
    return AssignmentOut.of(review_hosted.renew(ctx.services, principal=caller, task_id=task_id))


@router.post(
    "/v1/review/tasks/{task_id}/release",
    name="review_release",
    operation_id="review_release",
    status_code=status.HTTP_204_NO_CONTENT,
)
def release(ctx: Context, caller: Caller, task_id: str) -> None:
    """Give a held task back to the queue, undecided."""
    review_hosted.release(ctx.services, ctx.stores, principal=caller, task_id=task_id)


@router.post(
    "/v1/review/tasks/{task_id}/decision", name="review_decide", operation_id="review_decide"
)
def decide(ctx: Context, caller: Caller, task_id: str, body: DecisionIn) -> DecidedOut:
    """Decide a held task with a reason code: recorded as a ``ReviewCompleted`` event (a label
    for the impact metrics; a confirmed deepfake is banked). A violation applies one of the
    actions the loaded policy applies (422 naming them otherwise), by default the routing
    rule's; a takedown task's answer says what its decision did (``takedown``)."""
    decided = review_hosted.decide(
        ctx.services,
        ctx.stores,
        principal=caller,
        task_id=task_id,
        verdict=body.verdict,
        reason_code=body.reason_code,
        label=body.label,
        action=body.action,
    )
    return DecidedOut(
        task_id=decided.task.task_id,
        item_id=decided.task.item_id,
        status=decided.task.status.value,
        recorded_review=decided.review is not None,
        banked=decided.banked,
        takedown=None if decided.takedown is None else TakedownOut.of(decided.takedown),
    )


@router.post(
    "/v1/appeals",
    name="appeal_open",
    operation_id="appeal_open",
    status_code=status.HTTP_201_CREATED,
)
def open_appeal(ctx: Context, caller: Caller, body: AppealIn) -> TaskOut:
    """A creator's appeal against the item's enforcing decision in force (once per decision:
    appealing again returns the same task)."""
    task = review_hosted.open_appeal(
        ctx.services, ctx.stores, principal=caller, item_id=body.item_id, statement=body.statement
    )
    return TaskOut.of(task)


@router.post(
    "/v1/appeals/{task_id}/resolution", name="appeal_resolve", operation_id="appeal_resolve"
)
def resolve_appeal(
    ctx: Context, caller: Caller, task_id: str, body: AppealResolutionIn
) -> AppealResolvedOut:
    """Resolve a held appeal: ``AppealResolved`` (and ``ItemRestored`` when reversed)."""
    resolution = review_hosted.resolve_appeal(
        ctx.services,
        ctx.stores,
        principal=caller,
        task_id=task_id,
        outcome=body.outcome,
        reason_code=body.reason_code,
    )
    return AppealResolvedOut(
        task_id=resolution.task.task_id,
        item_id=resolution.task.item_id,
        outcome=body.outcome.value,
        restored=resolution.restored,
    )
