"""What a web route reaches: the UI's ``WebUi`` (the API's context, the session signer, the
templates), the current session, and the page rendering and cookie helpers every route uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from deepscreen import __version__
from deepscreen.api.context import ApiContext
from deepscreen.api.web.session import COOKIE, Session, SessionSigner
from deepscreen.core.access import Principal, Role

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

# Fixed status texts shown after a redirect (``?msg=``): a query string never puts free text
# on a page.
MESSAGES = {
    "signed_out": "You are signed out.",
    "decided": "Decision recorded. The task is done.",
    "decided_next": "Decision recorded. This is your next task.",
    "decided_empty": "Decision recorded. No more tasks to claim in this queue right now.",
    "resolved": "Appeal resolved.",
    "resolved_next": "Appeal resolved. This is your next appeal.",
    "resolved_empty": "Appeal resolved. No more appeals you may take right now.",
    "claimed": "Task claimed: it is yours until the lease runs out.",
    "held": "Welcome back: this is the task you still hold.",
    "released": "Task released back to the queue.",
    "nothing": "Nothing to claim right now.",
    "no_appeal": "No appeal you may take right now (you are never given an appeal of an item "
    "you reviewed).",
    "expired": "Please sign in: your session has ended or expired.",
}


@dataclass(frozen=True)
class WebUi:
    """Everything one UI's routes use, held in the UI app's ``state.web`` (no module globals)."""

    context: ApiContext
    signer: SessionSigner
    templates: Jinja2Templates

    def now(self) -> datetime:
        return self.context.services.clock()


def get_web(request: Request) -> WebUi:
    web = request.app.state.web
    assert isinstance(web, WebUi)
    return web


Web = Annotated[WebUi, Depends(get_web)]


def request_session(request: Request) -> Session | None:
    """The session ``access.authorize`` checked for this request (None: not signed in)."""
    session = getattr(request.state, "session", None)
    return session if isinstance(session, Session) else None


def signed_in(request: Request) -> Principal:
    """The signed-in principal (``authorize`` has already refused anonymous callers)."""
    session = request_session(request)
    assert session is not None and session.principal is not None
    return session.principal


def can_review(principal: Principal | None) -> bool:
    return principal is not None and principal.role in (Role.REVIEWER, Role.ADMIN)


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """A page of the layout: the session's CSRF token, the navigation for its role, and
    ``?msg=`` turned into its fixed status text."""
    web = get_web(request)
    session = request_session(request)
    principal = session.principal if session else None
    message = MESSAGES.get(request.query_params.get("msg", ""), "")
    page = {
        "csrf_token": web.signer.csrf_token(session) if session else "",
        "principal": principal,
        "can_review": can_review(principal),
        "message": message,
        "version": __version__,
        **values,
    }
    response = web.templates.TemplateResponse(request, template, page, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    assert isinstance(response, HTMLResponse)
    return response


def redirect(
    request: Request,
    name: str,
    msg: str | None = None,
    query: Mapping[str, str] | None = None,
    **params: str,
) -> Response:
    """303 to a named UI route (after a POST: the browser then GETs it), with ``query``'s
    non-empty values and the status text ``msg`` in the query string."""
    url = request.url_for(name, **params).path
    values = {k: v for k, v in {**(query or {}), "msg": msg or ""}.items() if v}
    return RedirectResponse(url + (f"?{urlencode(values)}" if values else ""), status_code=303)


def set_session_cookie(request: Request, response: Response, session: Session) -> None:
    web = get_web(request)
    response.set_cookie(
        COOKIE,
        web.signer.dumps(session),
        max_age=max(0, session.expires_at - int(web.now().timestamp())),
        path=ui_path(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        COOKIE,
        path=ui_path(request),
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def ui_path(request: Request) -> str:
    """The cookie path: the UI's prefix under the app's root path."""
    return request.url_for("home").path.rstrip("/") or "/"
