"""The queue and appeals pages, claiming (by button or the <kbd>c</kbd> key) and the thumbnails of
their task rows, through ``service.review_hosted`` as the API does. A claim remembers its queue
(``?queue=``) so that "decide and next" claims from the same queue."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, WebUi, redirect, render, signed_in
from deepscreen.api.web.media_routes import NO_STORE
from deepscreen.api.web.queue_views import queue_overview, review_queue_names, waiting_rows
from deepscreen.service import review_hosted
from deepscreen.service.media_thumbnail import task_thumbnail
from deepscreen.service.media_wellness import load_prefs
from deepscreen.service.review_queue import configured
from deepscreen.settings import Settings

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])

TaskId = Annotated[str, Path(max_length=200)]
Scope = Literal["review", "appeals"]


@router.get("/ui/queue", name="queue_page")
def queue_page(request: Request, web: Web) -> Response:
    return _overview_page(request, web, "review")


@router.get("/ui/appeals", name="appeals_page")
def appeals_page(request: Request, web: Web) -> Response:
    return _overview_page(request, web, "appeals")


@router.post("/ui/claim", name="claim")
def claim(
    request: Request,
    web: Web,
    scope: Annotated[Scope, Form()] = "review",
    queue: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Claim the next task of one queue, of every review queue, or of the appeals queue."""
    empty = "no_appeal" if scope == "appeals" else "nothing"
    return claim_and_open(request, web, scope, queue, "claimed", empty)


def claim_and_open(
    request: Request, web: WebUi, scope: Scope, queue: str, claimed: str, empty: str
) -> Response:
    """Claim the next task of ``scope`` (of ``queue`` when it names a review queue) and open
    it with the status text ``claimed``; back to the queue's page with ``empty`` if none."""
    services = web.context.services
    _, config = configured(services)
    names = review_queue_names(services, web.now())
    queue = queue if queue in names else ""
    if scope == "appeals":
        queues = [config.appeals_queue]
    else:
        queues = [queue] if queue else names
    task = None
    if queues:  # (an empty list would mean every queue to ``claim``)
        task = review_hosted.claim(
            services, web.context.stores, principal=signed_in(request), queues=queues
        )
    if task is None:
        return redirect(request, "appeals_page" if scope == "appeals" else "queue_page", empty)
    return redirect(request, "task_page", claimed, {"queue": queue}, task_id=task.task_id)


def next_queue(web: WebUi, queue: str) -> str:
    """``queue`` if it names a review queue, else "" (every review queue)."""
    return queue if queue and queue in review_queue_names(web.context.services, web.now()) else ""


@router.get("/ui/tasks/{task_id}/thumbnail", name="task_thumbnail")
def thumbnail(request: Request, web: Web, task_id: TaskId) -> Response:
    """A small PNG of the retained media of a task you hold or may claim, its wellness
    filters drawn in (never revealed on a queue page); ``no-store``."""
    reviewer = signed_in(request).key_id
    prefs = load_prefs(web.context.stores.preferences, reviewer)
    png, _ = task_thumbnail(web.context.services, task_id, reviewer, prefs, now=web.now())
    return Response(png, media_type="image/png", headers=NO_STORE)


def takedown_sla(settings: Settings) -> dict[str, str]:
    """The takedown queue's SLA is each notice's legal deadline, by notice type."""
    t = settings.takedown
    return {
        t.queue: f"per notice: NCII {t.ncii_deadline_hours:g} h, DSA {t.dsa_deadline_hours:g} h, "
        f"other {t.other_deadline_hours:g} h"
    }


def _overview_page(request: Request, web: WebUi, scope: Scope) -> Response:
    services = web.context.services
    appeals = scope == "appeals"
    overview = queue_overview(
        services, web.now(), appeals=appeals, sla_notes=takedown_sla(web.context.settings)
    )
    reviewer = signed_in(request).key_id
    rows = waiting_rows(
        services,
        web.now(),
        queues=[r.queue for r in overview.rows],
        reviewer=reviewer,
        prefs=load_prefs(web.context.stores.preferences, reviewer),
    )
    return render(
        request,
        "appeals.html" if appeals else "queue.html",
        overview=overview,
        rows=rows,
        now=web.now(),
        nav=scope if appeals else "queue",
    )
