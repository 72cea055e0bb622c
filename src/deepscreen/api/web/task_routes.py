"""A claimed task (evidence, lease, the action picker), and deciding, resolving, renewing or
releasing it through ``service.review_hosted``, audited, as the reviewer of the session's key;
"and next" (the default) claims and opens the next task of the same queue."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, WebUi, redirect, render, signed_in
from deepscreen.api.web.queue_routes import claim_and_open, next_queue
from deepscreen.api.web.views import task_view
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.core.tasks import TaskKind
from deepscreen.service import review_hosted
from deepscreen.service.review_actions import form_action
from deepscreen.service.review_queue import Assignment, configured, parse_choice

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])

TaskId = Annotated[str, Path(max_length=200)]
RESOLVE_OUTCOMES = (AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_REVERSED, AppealOutcome.REVERSED)
LABELS = ("deepfake", "ai_generated", "manipulated", "real")  # suggestions; free text allowed
ACTION_KEYS = {"label": "l", "downrank": "d", "age_gate": "a", "remove": "r"}
Then = Literal["next", "queue"]  # after a decision: the next task, or back to the queue page


@router.get("/ui/tasks/{task_id}", name="task_page")
def task_page(
    request: Request,
    web: Web,
    task_id: TaskId,
    queue: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """A task the reviewer holds; opening it renews the lease (``LeaseNotHeld`` otherwise).
    ``queue``: the review queue it was claimed from, where "and next" claims next."""
    services = web.context.services
    assignment = review_hosted.renew(services, principal=signed_in(request), task_id=task_id)
    config = configured(services)[1]
    appeal = assignment.kind is TaskKind.APPEAL
    return render(
        request,
        "task.html",
        view=task_view(services, assignment),
        appeal=appeal,
        reason_codes=config.reason_codes,
        outcomes=RESOLVE_OUTCOMES,
        labels=LABELS,
        action_keys=ACTION_KEYS,
        next_queue="" if appeal else next_queue(web, queue),
        lease=_lease(web, assignment, config.lease_seconds),
        nav="appeals" if appeal else "queue",
    )


@router.post("/ui/tasks/{task_id}/renew", name="renew_task")
def renew_task(request: Request, web: Web, task_id: TaskId) -> JSONResponse:
    """Extend the lease (the page's script calls this while the reviewer works)."""
    services = web.context.services
    assignment = review_hosted.renew(services, principal=signed_in(request), task_id=task_id)
    return JSONResponse(_lease(web, assignment, configured(services)[1].lease_seconds))


@router.post("/ui/tasks/{task_id}/release", name="release_task")
def release_task(request: Request, web: Web, task_id: TaskId) -> Response:
    context = web.context
    review_hosted.release(
        context.services, context.stores, principal=signed_in(request), task_id=task_id
    )
    return redirect(request, "queue_page", "released")


@router.post("/ui/tasks/{task_id}/decide", name="decide_task")
def decide_task(
    request: Request,
    web: Web,
    task_id: TaskId,
    verdict: Annotated[str, Form(max_length=40)],
    reason_code: Annotated[str, Form(max_length=200)],
    label: Annotated[str, Form(max_length=80)] = "",
    action: Annotated[str, Form(max_length=40)] = "",
    then: Annotated[Then, Form()] = "queue",
    queue: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the decision; ``action`` (a violation only) is one of the task's choices, by
    default the one its routing rule names (``service.review_queue.decide`` checks it, as for
    the API and the CLI). ``then``: claim the next task of ``queue``."""
    context = web.context
    parsed = parse_choice(Verdict, verdict, "verdict")
    review_hosted.decide(
        context.services,
        context.stores,
        principal=signed_in(request),
        task_id=task_id,
        verdict=parsed,
        reason_code=reason_code,
        label=label.strip(),
        action=form_action(parsed, action.strip()),
    )
    if then == "next":
        return claim_and_open(request, web, "review", queue, "decided_next", "decided_empty")
    return redirect(request, "queue_page", "decided")


@router.post("/ui/tasks/{task_id}/resolve", name="resolve_task")
def resolve_task(
    request: Request,
    web: Web,
    task_id: TaskId,
    outcome: Annotated[str, Form(max_length=40)],
    reason_code: Annotated[str, Form(max_length=200)],
    then: Annotated[Then, Form()] = "queue",
) -> Response:
    context = web.context
    review_hosted.resolve_appeal(
        context.services,
        context.stores,
        principal=signed_in(request),
        task_id=task_id,
        outcome=parse_choice(AppealOutcome, outcome, "outcome"),
        reason_code=reason_code,
    )
    if then == "next":
        return claim_and_open(request, web, "appeals", "", "resolved_next", "resolved_empty")
    return redirect(request, "appeals_page", "resolved")


def _lease(web: WebUi, assignment: Assignment, lease_seconds: float) -> dict[str, Any]:
    expires = assignment.lease_expires_at
    left = max(0.0, (expires - web.now()).total_seconds()) if expires else 0.0
    return {
        "task_id": assignment.task_id,
        "lease_expires_at": expires.isoformat() if expires else None,
        "seconds_left": round(left, 1),
        "lease_seconds": lease_seconds,
    }
