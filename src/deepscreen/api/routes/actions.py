"""``GET /v1/actions``: the action feed — what applies to each item as it changes — a page at
a time behind a sequence-number cursor (``service.actions``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from deepscreen.api.context import Context, authenticated_router
from deepscreen.api.schemas.actions import ActionChangeOut, ActionFeed
from deepscreen.service.actions import MAX_AFTER, MAX_PAGE, action_page

router = authenticated_router("actions", 401, 403, 422, 500, 503)


@router.get("/v1/actions", name="list_actions", operation_id="list_actions")
def list_actions(
    ctx: Context,
    request: Request,
    after: Annotated[
        int,
        Query(
            ge=0, le=MAX_AFTER, description="Changes after this seq (exclusive; 0: from the start)."
        ),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> ActionFeed:
    """Every change of what applies to an item, in the order recorded: the automated decision,
    a person's review, a takedown's removal and its copies', an appeal's restoration. Follow
    `next` while it is set; then poll with `after=next_after`. Store the last `seq` you
    applied: the feed is consumed at least once, and a change applied twice is harmless."""
    page = action_page(ctx.services, after=after, limit=limit)
    following = request.url.include_query_params(after=page.next_after, limit=limit)
    return ActionFeed(
        changes=[ActionChangeOut.of(c) for c in page.changes],
        next_after=page.next_after,
        next=str(following) if page.has_more else None,
    )
