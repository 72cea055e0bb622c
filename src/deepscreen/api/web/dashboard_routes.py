"""The dashboard: headline impact metrics and reviewer accuracy (pseudonymised), read-only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, render
from deepscreen.api.web.dashboard_views import dashboard
from deepscreen.api.web.queue_routes import takedown_sla
from deepscreen.api.web.queue_views import queue_overview

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])


@router.get("/ui/dashboard", name="dashboard_page")
def dashboard_page(request: Request, web: Web) -> Response:
    context = web.context
    return render(
        request,
        "dashboard.html",
        board=dashboard(context.services, context.settings.costs.model_dump()),
        queues=queue_overview(
            context.services,
            web.now(),
            appeals=False,
            sla_notes=takedown_sla(context.settings),
        ).rows,
        appeals=queue_overview(context.services, web.now(), appeals=True).rows,
        nav="dashboard",
    )
