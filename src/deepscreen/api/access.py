"""Who may call what: ``ENDPOINT_ROLES``, the one table of endpoint → roles, and
``AccessMiddleware``, which authenticates the bearer key before the body is read and enforces the
table (public, admin and fail-closed rules: docs/internals/api.md)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from deepscreen.api.errors import domain_error_response
from deepscreen.core.access import Principal, Role
from deepscreen.core.errors import DeepscreenError, PermissionDenied, Unauthenticated
from deepscreen.service.keys import KeyVerifier

log = logging.getLogger(__name__)

Endpoint = tuple[str, str]  # (HTTP method, path template as routed)
_INGEST, _REVIEWER, _ANALYST = Role.INGEST, Role.REVIEWER, Role.ANALYST

ENDPOINT_ROLES: Mapping[Endpoint, frozenset[Role] | None] = {
    # endpoint: roles allowed besides admin (None: public, no key)
    ("GET", "/status/live"): None,
    ("GET", "/status/ready"): None,
    ("GET", "/openapi.json"): None,
    ("POST", "/v1/scan"): frozenset({_INGEST}),
    ("POST", "/v1/items"): frozenset({_INGEST}),
    ("GET", "/v1/items/{item_id}"): frozenset({_INGEST, _REVIEWER, _ANALYST}),
    ("POST", "/v1/views"): frozenset({_INGEST}),
    ("GET", "/v1/decisions"): frozenset({_REVIEWER, _ANALYST}),
    ("GET", "/v1/metrics"): frozenset({_ANALYST}),
    ("GET", "/v1/review/queues"): frozenset({_REVIEWER, _ANALYST}),
    ("POST", "/v1/review/claim"): frozenset({_REVIEWER}),
    ("POST", "/v1/review/tasks/{task_id}/renew"): frozenset({_REVIEWER}),
    ("POST", "/v1/review/tasks/{task_id}/release"): frozenset({_REVIEWER}),
    ("POST", "/v1/review/tasks/{task_id}/decision"): frozenset({_REVIEWER}),
    ("POST", "/v1/appeals"): frozenset({_INGEST}),
    ("POST", "/v1/appeals/{task_id}/resolution"): frozenset({_REVIEWER}),
    ("POST", "/v1/notices"): frozenset({_INGEST}),
    ("GET", "/v1/notices/{notice_id}"): frozenset({_INGEST, _ANALYST}),
    ("GET", "/v1/actions"): frozenset({_INGEST, _ANALYST}),
}
_ADMIN_ONLY: frozenset[Role] = frozenset()


def is_allowed(role: Role, endpoint: Endpoint) -> bool:
    """May a key of ``role`` call ``endpoint``? (Unlisted endpoints: admin only.)"""
    roles = ENDPOINT_ROLES.get(endpoint, _ADMIN_ONLY)
    return roles is None or role is Role.ADMIN or role in roles


def missing_endpoints(endpoints: Iterable[Endpoint]) -> list[Endpoint]:
    """Endpoints with no line in ``ENDPOINT_ROLES`` (must be empty)."""
    return sorted(set(endpoints) - set(ENDPOINT_ROLES))


def check_every_endpoint_listed(endpoints: Iterable[Endpoint]) -> None:
    """Refuse an app with an operation missing from ``ENDPOINT_ROLES`` (at build time)."""
    missing = missing_endpoints(endpoints)
    if missing:
        raise RuntimeError(
            f"endpoints without a line in deepscreen.api.access.ENDPOINT_ROLES: {missing}"
        )


class AccessMiddleware:
    """Authenticate the bearer key and check its role against ``ENDPOINT_ROLES``; the
    principal goes to ``scope["state"]["principal"]`` for the handlers."""

    def __init__(self, app: ASGIApp, *, verifier: KeyVerifier) -> None:
        self.app = app
        self.verifier = verifier
        self._patterns: list[tuple[str, re.Pattern[str], Endpoint]] = [
            (method, compile_path(path)[0], (method, path)) for method, path in ENDPOINT_ROLES
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        endpoint = self._endpoint(scope)
        if endpoint is not None and ENDPOINT_ROLES[endpoint] is None:
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._authenticate(scope)
            if not is_allowed(principal.role, endpoint or ("", "")):
                what = " ".join(endpoint) if endpoint else "this endpoint"
                raise PermissionDenied(f"role {principal.role.value!r} may not call {what}")
        except DeepscreenError as exc:
            if isinstance(exc, Unauthenticated | PermissionDenied):
                log.info("refused %s %s: %s", scope["method"], scope["path"], exc)
            await domain_error_response(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)

    def _endpoint(self, scope: Scope) -> Endpoint | None:
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        for wanted, pattern, endpoint in self._patterns:
            if wanted == method and pattern.match(path):
                return endpoint
        return None

    async def _authenticate(self, scope: Scope) -> Principal:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        if header is None:
            raise Unauthenticated("an API key is required: Authorization: Bearer <key>")
        scheme, _, token = header.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use Authorization: Bearer <key>")
        token = token.strip()
        # A key verified within the cache's ttl is a dictionary lookup: answered here, with no
        # thread hand-off. Otherwise argon2 (tens of milliseconds) runs off the event loop.
        cached = self.verifier.cached(token)
        if cached is not None:
            return cached
        return await run_in_threadpool(self.verifier.authenticate, token)
