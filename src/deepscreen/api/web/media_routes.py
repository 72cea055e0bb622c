"""The media of a reviewer's task (retained copy or the platform's, sampled video frames), served
only to the reviewer holding the task with no-store, nosniff and same-origin headers; the
wellness-filter preferences; the ``media_panel`` template helper (docs/internals/api.md)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, get_web, redirect, request_session, signed_in
from deepscreen.api.web.views import TaskView
from deepscreen.service.media_access import task_frame, task_media
from deepscreen.service.media_view import MediaPanel, media_panel
from deepscreen.service.media_wellness import (
    WellnessPrefs,
    load_prefs,
    parse_choice,
    save_prefs,
)

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])

TaskId = Annotated[str, Path(max_length=200)]
NO_STORE = {
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Disposition": "inline",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@router.get("/ui/tasks/{task_id}/media", name="task_media")
def media(request: Request, web: Web, task_id: TaskId) -> Response:
    """The media of a task you hold (a single byte range, for the video player's seeking)."""
    reviewer = signed_in(request).key_id
    copy = task_media(web.context.services, task_id, reviewer, now=web.now())
    return _ranged(request, copy.data, copy.mime)


@router.get("/ui/tasks/{task_id}/media/frames/{millis}", name="task_frame")
def frame(
    request: Request,
    web: Web,
    task_id: TaskId,
    millis: Annotated[int, Path(ge=0, le=86_400_000)],
) -> Response:
    """A sampled video frame (PNG) of a task you hold, its face boxes drawn."""
    reviewer = signed_in(request).key_id
    png = task_frame(web.context.services, task_id, reviewer, millis, now=web.now())
    return Response(png, media_type="image/png", headers=NO_STORE)


@router.post("/ui/preferences/wellness", name="save_wellness")
def save_wellness(
    request: Request,
    web: Web,
    blur: Annotated[str, Form(max_length=20)],
    greyscale: Annotated[str, Form(max_length=20)],
    task_id: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Keep your wellness-filter choices, then go back to the task you were on."""
    prefs = WellnessPrefs(parse_choice(blur, "blur"), parse_choice(greyscale, "greyscale"))
    save_prefs(
        web.context.stores.preferences,
        web.context.services.media.wellness,
        signed_in(request).key_id,
        prefs,
        at=web.now(),
    )
    if task_id and "/" not in task_id:
        return redirect(request, "task_page", task_id=task_id)
    return redirect(request, "queue_page")


def template_helpers(request: Request) -> dict[str, Any]:
    """Jinja context processor: ``media_panel(view)`` builds the media panel of a task page
    for the signed-in reviewer (their wellness preferences applied)."""

    def panel(view: TaskView) -> MediaPanel:
        web = get_web(request)
        session = request_session(request)
        principal = session.principal if session else None
        stores = web.context.stores
        prefs = load_prefs(stores.preferences, principal.key_id) if principal else WellnessPrefs()
        item = view.item
        return media_panel(
            web.context.services.media,
            view.assignment.item_id,
            kind=item.ingested.kind if item else None,
            mime=item.ingested.mime if item else "",
            action=item.decision.action if item and item.decision else None,
            attributes=item.ingested.attributes if item else {},
            signals=item.signals if item else (),
            prefs=prefs,
        )

    return {"media_panel": panel}


def _ranged(request: Request, data: bytes, mime: str) -> Response:
    headers = {**NO_STORE, "Accept-Ranges": "bytes"}
    match = _RANGE.fullmatch(request.headers.get("range", "").strip())
    if match is None or not (match[1] or match[2]):
        return Response(data, media_type=mime, headers=headers)
    size = len(data)
    if match[1]:
        start = int(match[1])
        end = min(int(match[2]), size - 1) if match[2] else size - 1
    else:  # the last n bytes
        start, end = max(0, size - int(match[2])), size - 1
    if start > end or start >= size:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return Response(data[start : end + 1], status_code=206, media_type=mime, headers=headers)
