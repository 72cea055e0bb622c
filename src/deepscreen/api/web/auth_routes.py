"""Signing in and out of the reviewer UI, its home redirect, and its two static files. Signing in
verifies a pasted API key as the API does and starts a new session (a fresh id); a reviewer still
holding a task is taken back to it (docs/internals/api.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import (
    STATIC,
    Web,
    WebUi,
    can_review,
    clear_session_cookie,
    redirect,
    render,
    request_session,
    set_session_cookie,
    signed_in,
)
from deepscreen.core.access import Principal, Role
from deepscreen.core.errors import Unauthenticated
from deepscreen.service import review_hosted
from deepscreen.service.audit import record_action

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])

STATIC_FILES = {
    "ui.css": "text/css; charset=utf-8",
    "ui.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
    "media.css": "text/css; charset=utf-8",
    "media.js": "text/javascript; charset=utf-8",
}
UI_ROLES = (Role.REVIEWER, Role.ANALYST, Role.ADMIN)
MAX_KEY_CHARS = 200


@router.get("/ui/static/{name}", name="static_file")
def static_file(name: str) -> FileResponse:
    if name not in STATIC_FILES:
        raise HTTPException(404, f"no static file {name!r}")
    response = FileResponse(STATIC / name, media_type=STATIC_FILES[name])
    response.headers["Cache-Control"] = "no-cache"  # revalidate: an upgrade shows at once
    return response


@router.get("/ui/", name="home")
def home(request: Request) -> Response:
    """Reviewers start at the queue, analysts at the dashboard."""
    page = "queue_page" if can_review(signed_in(request)) else "dashboard_page"
    return redirect(request, page)


@router.get("/ui/login", name="login_page")
def login_page(request: Request, web: Web, next: str = "") -> Response:
    session = request_session(request)
    if session is not None and session.principal is not None:
        return RedirectResponse(safe_next(request, next), status_code=303)
    if session is None:  # the pre-session that the form's CSRF token is bound to
        session = web.signer.issue(web.now())
        request.state.session = session
    response = render(request, "login.html", next=next, nav="login")
    set_session_cookie(request, response, session)
    return response


@router.post("/ui/login", name="login")
def login(
    request: Request,
    web: Web,
    api_key: Annotated[str, Form(max_length=MAX_KEY_CHARS)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        principal = web.context.verifier.authenticate(api_key.strip())
    except Unauthenticated:
        error = "That API key was not accepted: it is unknown, revoked or mistyped."
        return render(request, "login.html", 401, error=error, next=next, nav="login")
    if principal.role not in UI_ROLES:
        error = f"A key with role {principal.role.value!r} cannot use the reviewer UI."
        return render(request, "login.html", 403, error=error, next=next, nav="login")
    session = web.signer.issue(web.now(), principal)
    response = RedirectResponse(after_sign_in(request, web, principal, next), status_code=303)
    set_session_cookie(request, response, session)
    _audit(web, principal.key_id, "ui.login", principal.role.value)
    return response


@router.post("/ui/logout", name="logout")
def logout(request: Request, web: Web) -> Response:
    """End the session on the server, not only in this browser: its id is recorded as revoked
    until the cookie would have expired, so a copy of the cookie is refused from now on."""
    session = request_session(request)
    assert session is not None and session.principal is not None  # authorize() checked
    expires_at = datetime.fromtimestamp(session.expires_at, UTC)
    web.context.stores.sessions.revoke(session.session_id, expires_at, web.now())
    response = redirect(request, "login_page", "signed_out")
    clear_session_cookie(request, response)
    principal = session.principal
    _audit(web, principal.key_id, "ui.logout", principal.role.value)
    return response


def after_sign_in(request: Request, web: WebUi, principal: Principal, target: str) -> str:
    """Where signing in leads: the task the reviewer still holds under an unexpired lease
    (signing in again must not leave it locked until the lease runs out) unless another page
    was asked for; else ``safe_next``."""
    page = safe_next(request, target)
    if page not in (request.url_for("home").path, request.url_for("queue_page").path):
        return page
    services = web.context.services
    if not can_review(principal) or services.review_queue is None:
        return page
    held = review_hosted.held_task(services, principal=principal)
    if held is None:
        return page
    return request.url_for("task_page", task_id=held.task_id).path + "?msg=held"


def safe_next(request: Request, target: str) -> str:
    """Where to go after signing in: a path inside the UI, else the home page (never another
    site: ``//host`` and backslashes are refused)."""
    home_path = request.url_for("home").path
    if target.startswith(home_path) and "//" not in target and "\\" not in target:
        return target
    return home_path


def _audit(web: WebUi, actor: str, action: str, role: str) -> None:
    context = web.context
    record_action(
        context.stores.audit,
        actor=actor,
        action=action,
        target=actor,
        clock=context.services.clock,
        details={"role": role},
    )
