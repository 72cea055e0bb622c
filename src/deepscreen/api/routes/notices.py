"""``POST /v1/notices`` (a takedown request: NCII, DSA notice) and ``GET /v1/notices/{id}``
(where it stands): thin shells over ``service.takedown``, audited under the caller's key."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response, status

from deepscreen.api.context import Caller, Context, authenticated_router
from deepscreen.api.schemas.notices import NoticeIn, NoticeOut, NoticeStatusOut
from deepscreen.service.takedown import TakedownConfig, notice_status, submit_audited
from deepscreen.settings import Settings

router = authenticated_router("notices", 401, 403, 404, 413, 422, 500, 503)


def takedown_config(settings: Settings) -> TakedownConfig:
    return TakedownConfig.from_settings(settings.takedown.model_dump())


@router.post(
    "/v1/notices",
    name="submit_notice",
    operation_id="submit_notice",
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": NoticeOut, "description": "The same request, received before."}},
)
def submit(ctx: Context, caller: Caller, body: NoticeIn, response: Response) -> NoticeOut:
    """Record a takedown request and queue its item for removal within the legal deadline
    (`[takedown]` settings: 48 h for NCII), ranked above every review task. The same request
    again answers 200 with the first one (one notice, one task). A request naming no stored
    item is recorded as unmatched (no task), not refused."""
    outcome = submit_audited(
        ctx.services,
        takedown_config(ctx.settings),
        body.request(),
        audit=ctx.stores.audit,
        actor=caller.key_id,
    )
    if outcome.duplicate:
        response.status_code = status.HTTP_200_OK
    return NoticeOut.of(outcome)


@router.get("/v1/notices/{notice_id}", name="notice_status", operation_id="notice_status")
def status_of(
    ctx: Context,
    notice_id: Annotated[str, Path(max_length=64, description="As `POST /v1/notices` gave it.")],
) -> NoticeStatusOut:
    """Where a takedown request stands: removed (and how long it took), rejected, pending or
    unmatched. Reads the event log."""
    return NoticeStatusOut.of(notice_status(ctx.services, takedown_config(ctx.settings), notice_id))
