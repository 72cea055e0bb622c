"""``GET /v1/decisions``: recorded decisions, filtered, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from deepscreen.api.context import Context, authenticated_router
from deepscreen.api.schemas.decisions import DecisionList, DecisionOut
from deepscreen.api.schemas.inputs import UtcDatetime
from deepscreen.core.decisions import Action
from deepscreen.service.items import MAX_OFFSET, MAX_PAGE, decision_page

router = authenticated_router("decisions", 401, 403, 422, 500, 503)


@router.get("/v1/decisions", name="list_decisions", operation_id="list_decisions")
def list_decisions(
    ctx: Context,
    request: Request,
    action: Annotated[Action | None, Query(description="Only this action.")] = None,
    policy_revision: Annotated[
        str | None, Query(max_length=128, description="Only this policy revision.")
    ] = None,
    since: Annotated[
        UtcDatetime | None, Query(description="Decided at or after (ISO 8601 with a zone).")
    ] = None,
    until: Annotated[UtcDatetime | None, Query(description="Decided before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Decisions to skip.")] = 0,
) -> DecisionList:
    """Decisions in the order they were recorded (the log only grows at the end, so pages are
    stable); follow ``next`` for the following page."""
    page = decision_page(
        ctx.services,
        action=None if action is None else action.value,
        policy_revision=policy_revision,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    following = request.url.include_query_params(offset=offset + limit, limit=limit)
    return DecisionList(
        decisions=[DecisionOut.of(d) for d in page.decisions],
        next=str(following) if page.has_more else None,
    )
