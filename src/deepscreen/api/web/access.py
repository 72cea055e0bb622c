"""Who may open which page of the reviewer UI: the one table of web route → roles, and the
dependencies every web route runs — session, role, then CSRF for anything but a GET (the same
rules as ``api.access``, by session cookie: docs/internals/api.md)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute

from deepscreen.api.access import Endpoint
from deepscreen.api.web.context import get_web
from deepscreen.api.web.session import COOKIE, Session
from deepscreen.core.access import Role

_REVIEWER, _ANALYST = Role.REVIEWER, Role.ANALYST
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

WEB_ENDPOINT_ROLES: Mapping[Endpoint, frozenset[Role] | None] = {
    # route: roles allowed besides admin (None: public, no session needed)
    ("GET", "/ui/static/{name}"): None,
    ("GET", "/ui/login"): None,
    ("POST", "/ui/login"): None,  # still CSRF-checked, against the login form's pre-session
    ("POST", "/ui/logout"): frozenset({_REVIEWER, _ANALYST}),
    ("GET", "/ui/"): frozenset({_REVIEWER, _ANALYST}),
    ("GET", "/ui/queue"): frozenset({_REVIEWER}),
    ("GET", "/ui/appeals"): frozenset({_REVIEWER}),
    ("POST", "/ui/claim"): frozenset({_REVIEWER}),
    ("GET", "/ui/tasks/{task_id}"): frozenset({_REVIEWER}),
    ("POST", "/ui/tasks/{task_id}/renew"): frozenset({_REVIEWER}),
    ("POST", "/ui/tasks/{task_id}/release"): frozenset({_REVIEWER}),
    ("POST", "/ui/tasks/{task_id}/decide"): frozenset({_REVIEWER}),
    ("POST", "/ui/tasks/{task_id}/resolve"): frozenset({_REVIEWER}),
    ("GET", "/ui/tasks/{task_id}/media"): frozenset({_REVIEWER}),  # and only its holder
    ("GET", "/ui/tasks/{task_id}/media/frames/{millis}"): frozenset({_REVIEWER}),
    # a queue row's thumbnail: a task one holds or may claim (``service.media_thumbnail``)
    ("GET", "/ui/tasks/{task_id}/thumbnail"): frozenset({_REVIEWER}),
    ("POST", "/ui/preferences/wellness"): frozenset({_REVIEWER}),
    ("GET", "/ui/dashboard"): frozenset({_REVIEWER, _ANALYST}),
    ("GET", "/ui/compliance"): frozenset({_ANALYST}),
}
_ADMIN_ONLY: frozenset[Role] = frozenset()


class LoginRequired(Exception):
    """No valid session (none, forged, expired, logged out, or its key revoked): sign in
    first."""


class Forbidden(Exception):
    """Signed in, but the role may not use the route, or the CSRF token is missing or wrong."""


def may_use(role: Role, endpoint: Endpoint) -> bool:
    """May a session of ``role`` use ``endpoint``? (Unlisted routes: admin only.)"""
    roles = WEB_ENDPOINT_ROLES.get(endpoint, _ADMIN_ONLY)
    return roles is None or role is Role.ADMIN or role in roles


def route_endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the UI app routes, read from its OpenAPI operations as the API
    does (the document is never served: the UI app has no ``openapi_url``)."""
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi().get("paths", {}).items()
        for method in item
    )


def missing_routes(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    return sorted(set(endpoints) - set(WEB_ENDPOINT_ROLES))


def check_every_route_listed(app: FastAPI) -> None:
    """Refuse a UI app with a route missing from ``WEB_ENDPOINT_ROLES`` (at build time)."""
    missing = missing_routes(route_endpoints(app))
    if missing:
        raise RuntimeError(
            f"web routes without a line in deepscreen.api.web.access.WEB_ENDPOINT_ROLES: {missing}"
        )


def current_session(request: Request) -> Session | None:
    """The cookie's session if it is genuine, unexpired, not ended by a logout (checked in the
    database every process shares: a copied cookie dies with the logout) and its API key
    still active."""
    web = get_web(request)
    session = web.signer.loads(request.cookies.get(COOKIE), web.now())
    if session is None or session.principal is None:
        return session
    stores = web.context.stores
    if stores.sessions.is_revoked(session.session_id):
        return None
    key = stores.keys.get(session.principal.key_id)
    if key is None or key.revoked or key.role is not session.principal.role:
        return None
    return session


def authorize(request: Request) -> Session | None:
    """Run first on every web route (a sync dependency: the key lookup runs off the loop)."""
    method = "GET" if request.method == "HEAD" else request.method
    route = request.scope.get("route")
    endpoint = (method, route.path if isinstance(route, APIRoute) else request.url.path)
    session = current_session(request)
    request.state.session = session
    roles = WEB_ENDPOINT_ROLES.get(endpoint, _ADMIN_ONLY)
    if roles is None:
        return session
    if session is None or session.principal is None:
        raise LoginRequired(endpoint[1])
    if not may_use(session.principal.role, endpoint):
        raise Forbidden(f"role {session.principal.role.value!r} may not use {' '.join(endpoint)}")
    return session


async def check_csrf(
    request: Request, session: Annotated[Session | None, Depends(authorize)]
) -> Session | None:
    """Any method but GET needs the session's CSRF token (form field or ``X-CSRF-Token``)."""
    if request.method in ("GET", "HEAD"):
        return session
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if session is None or not get_web(request).signer.csrf_valid(session, token):
        raise Forbidden(
            "this form has expired or did not come from this site: reload the page and try again"
        )
    return session
