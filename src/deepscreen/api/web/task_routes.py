"""The reviewer's pages: the queue and appeals overviews, claiming, a claimed task (evidence,
lease), and deciding, resolving, renewing or releasing it — through ``service.review_hosted``,
as the API does: the session's API key is the reviewer, and every change is audited."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import JSONResponse, Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, WebUi, redirect, render, signed_in
from deepscreen.api.web.views import queue_overview, review_queue_names, task_view
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.core.tasks import TaskKind
from deepscreen.review.assignment import Assignment
from deepscreen.service import review_hosted
from deepscreen.service.review_queue import configured, parse_choice

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])

TaskId = Annotated[str, Path(max_length=200)]
RESOLVE_OUTCOMES = (AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_REVERSED, AppealOutcome.REVERSED)
LABELS = ("deepfake", "ai_generated", "manipulated", "real")  # suggestions; free text allowed


@router.get("/ui/queue", name="queue_page")
def queue_page(request: Request, web: Web) -> Response:
    overview = queue_overview(web.context.services, web.now(), appeals=False)
    return render(request, "queue.html", overview=overview, now=web.now(), nav="queue")


@router.get("/ui/appeals", name="appeals_page")
def appeals_page(request: Request, web: Web) -> Response:
    overview = queue_overview(web.context.services, web.now(), appeals=True)
    return render(request, "appeals.html", overview=overview, now=web.now(), nav="appeals")


@router.post("/ui/claim", name="claim")
def claim(
    request: Request,
    web: Web,
    scope: Annotated[Literal["review", "appeals"], Form()] = "review",
    queue: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Claim the next task of one queue, of every review queue, or of the appeals queue."""
    services = web.context.services
    _, config = configured(services)
    if scope == "appeals":
        queues = [config.appeals_queue]
    else:
        queues = [queue] if queue else review_queue_names(services, web.now())
    task = None
    if queues:  # (an empty list would mean every queue to ``claim``)
        task = review_hosted.claim(
            services, web.context.stores, principal=signed_in(request), queues=queues
        )
    if task is None:
        back = "appeals_page" if scope == "appeals" else "queue_page"
        return redirect(request, back, "no_appeal" if scope == "appeals" else "nothing")
    return redirect(request, "task_page", task_id=task.task_id)


@router.get("/ui/tasks/{task_id}", name="task_page")
def task_page(request: Request, web: Web, task_id: TaskId) -> Response:
    """A task the reviewer holds; opening it renews the lease (``LeaseNotHeld`` otherwise)."""
    services = web.context.services
    assignment = review_hosted.renew(services, principal=signed_in(request), task_id=task_id)
    config = configured(services)[1]
    return render(
        request,
        "task.html",
        view=task_view(services, assignment),
        appeal=assignment.kind is TaskKind.APPEAL,
        reason_codes=config.reason_codes,
        outcomes=RESOLVE_OUTCOMES,
        labels=LABELS,
        lease=_lease(web, assignment, config.lease_seconds),
        nav="appeals" if assignment.kind is TaskKind.APPEAL else "queue",
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
) -> Response:
    context = web.context
    review_hosted.decide(
        context.services,
        context.stores,
        principal=signed_in(request),
        task_id=task_id,
        verdict=parse_choice(Verdict, verdict, "verdict"),
        reason_code=reason_code,
        label=label.strip(),
    )
    return redirect(request, "queue_page", "decided")


@router.post("/ui/tasks/{task_id}/resolve", name="resolve_task")
def resolve_task(
    request: Request,
    web: Web,
    task_id: TaskId,
    outcome: Annotated[str, Form(max_length=40)],
    reason_code: Annotated[str, Form(max_length=200)],
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
