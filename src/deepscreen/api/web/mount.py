"""Build the reviewer UI — its own small FastAPI app under ``/ui`` — and mount it in front of
the API app (``mount_web_ui``); both share one ``ApiContext``. Why a separate app rather than
routers of the API app: docs/internals/api.md."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from deepscreen.api.context import ApiContext
from deepscreen.api.errors import error_response, status_for
from deepscreen.api.limits import BodyLimitMiddleware
from deepscreen.api.web import (
    auth_routes,
    compliance_routes,
    dashboard_routes,
    formatting,
    media_routes,
    queue_routes,
    task_routes,
)
from deepscreen.api.web.access import Forbidden, LoginRequired, check_every_route_listed
from deepscreen.api.web.context import TEMPLATES, WebUi, render
from deepscreen.api.web.session import COOKIE, SessionSigner, session_key
from deepscreen.core.errors import DeepscreenError

log = logging.getLogger(__name__)

PREFIX = "/ui"
FORM_MAX_BYTES = 64 * 1024  # the UI posts small forms only
SECURITY_HEADERS: Mapping[bytes, bytes] = {
    b"content-security-policy": b"default-src 'none'; script-src 'self'; style-src 'self'; "
    b"img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; "
    b"frame-ancestors 'none'; "
    b"base-uri 'none'",
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
}


def mount_web_ui(app: FastAPI, *, secret: bytes | None = None) -> FastAPI:
    """Serve the reviewer UI under ``/ui`` of ``app`` (built by ``create_app``); returns the
    UI app, also kept in ``app.state.web_ui``. Call it after every other ``add_middleware``:
    it must be the outermost layer, so UI requests never meet the API's bearer-key check.

    Sessions are signed with a key derived from ``secret``, by default the review queue's
    pseudonym secret (``[review] pseudonym_secret``: set it to keep sessions valid across
    ``--workers`` processes and restarts; unset, it is random per process).
    """
    context = app.state.context
    assert isinstance(context, ApiContext)
    ui = build_web_app(context, secret=secret)
    app.state.web_ui = ui
    app.add_middleware(UiDispatch, ui=ui, prefix=PREFIX)
    return ui


def build_web_app(context: ApiContext, *, secret: bytes | None = None) -> FastAPI:
    """The UI app over ``context``: its routes (refused at build if one lacks a role line),
    HTML error pages, a body limit for its small forms, and the security headers."""
    review = context.services.review
    if secret is None:
        secret = review.pseudonym_secret if review is not None else secrets.token_bytes(32)
        if context.settings.review.pseudonym_secret is None and context.settings.api.workers > 1:
            log.warning(  # `deepscreen serve --workers N` shares one key; another launcher may not
                "reviewer UI sessions are signed with a per-process key: with %d workers a "
                "session works only on the process that issued it; set "
                "DEEPSCREEN_REVIEW__PSEUDONYM_SECRET",
                context.settings.api.workers,
            )
    templates = Jinja2Templates(
        directory=TEMPLATES,
        context_processors=[formatting.helpers, media_routes.template_helpers],
    )
    formatting.install_filters(templates.env)
    ui = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    ui.state.web = WebUi(context, SessionSigner(session_key(secret)), templates)
    routers = (
        auth_routes.router,
        queue_routes.router,
        task_routes.router,
        media_routes.router,
        dashboard_routes.router,
        compliance_routes.router,
    )
    for router in routers:
        ui.include_router(router)
    check_every_route_listed(ui)
    _install_error_pages(ui)
    ui.add_middleware(BodyLimitMiddleware, max_bytes=FORM_MAX_BYTES)
    ui.add_middleware(SecurityHeaders)
    return ui


class UiDispatch:
    """Send requests for ``prefix`` (and below) to the UI app, everything else to the API."""

    def __init__(self, app: ASGIApp, *, ui: ASGIApp, prefix: str) -> None:
        self.app, self.ui, self.prefix = app, ui, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            root = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            if path == self.prefix or path.startswith(self.prefix + "/"):
                await self.ui(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS.items()]
            await send(message)

        await self.app(scope, receive, with_headers)


def wants_json(request: Request) -> bool:
    """The page's script (lease renewal) asks for JSON; a browser navigating, for HTML."""
    return "application/json" in request.headers.get("accept", "")


def error_page(request: Request, status: int, code: str, message: str) -> Response:
    if wants_json(request):
        return error_response(status, code, message)
    return render(request, "error.html", status, status=status, code=code, error=message)


def _install_error_pages(ui: FastAPI) -> None:
    async def on_login_required(request: Request, exc: Exception) -> Response:
        if wants_json(request):
            return error_response(401, "unauthenticated", "sign in again")
        params = {"msg": "expired"} if request.cookies.get(COOKIE) else {}
        if request.method == "GET":  # come back here after signing in
            params["next"] = request.url.path
        query = f"?{urlencode(params)}" if params else ""
        return RedirectResponse(request.url_for("login_page").path + query, status_code=303)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        return error_page(request, 403, "permission_denied", str(exc))

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DeepscreenError)
        status = status_for(exc)
        if status >= 500:
            log.error("server-side error: %s: %s", type(exc).__name__, exc)
            return error_page(request, status, "internal_error", "internal server error")
        return error_page(request, status, exc.code, str(exc))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return error_page(request, 422, "validation_error", problems[:2000])

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return error_page(request, exc.status_code, "http_error", message)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error in the reviewer UI", exc_info=exc)
        return error_page(request, 500, "internal_error", "internal server error")

    handlers: dict[type[Exception], Any] = {
        LoginRequired: on_login_required,
        Forbidden: on_forbidden,
        DeepscreenError: on_domain_error,
        RequestValidationError: on_validation_error,
        StarletteHTTPException: on_http_error,
        Exception: on_unexpected,
    }
    for exc_class, handler in handlers.items():
        ui.add_exception_handler(exc_class, handler)
