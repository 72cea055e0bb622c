"""``GET /status/live`` (the process answers) and ``GET /status/ready`` (the stores answer and
a policy is loaded). Neither needs a key."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from deepscreen.api.context import Context
from deepscreen.api.errors import error_response, error_responses
from deepscreen.api.schemas.reports import Live, Ready
from deepscreen.service.health import readiness

router = APIRouter(tags=["status"])


@router.get("/status/live", name="status_live", operation_id="status_live")
async def live() -> Live:
    return Live()


@router.get(
    "/status/ready",
    name="status_ready",
    operation_id="status_ready",
    response_model=Ready,
    responses=error_responses(503),
)
def ready(ctx: Context) -> Ready | JSONResponse:
    state = readiness(ctx.services, ctx.stores)
    if not state.ready:
        failing = ", ".join(f"{k}: {v}" for k, v in state.checks.items() if v != "ok")
        return error_response(503, "not_ready", f"not ready ({failing})")
    return Ready(
        policy_revision=state.policy_revision,
        checks=state.checks,
        pending_jobs=state.pending_jobs,
    )
