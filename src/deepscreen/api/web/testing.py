"""Helpers for testing the reviewer UI through a ``TestClient``: sign in with an API key, read
the CSRF token a page carries, or mint a session directly (pair with
``deepscreen.api.testing.api_harness``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from fastapi import FastAPI

from deepscreen.api.web.context import WebUi
from deepscreen.core.access import Principal

if TYPE_CHECKING:
    from starlette.testclient import TestClient

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


def csrf_token(html: str) -> str:
    """The CSRF token of a rendered page ('' when the page has no session)."""
    match = _CSRF_META.search(html)
    if match is None:
        raise AssertionError("the page has no csrf-token meta element")
    return match.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Sign ``client`` in with the API key ``token``; returns the new session's CSRF token."""
    form = client.get("/ui/login")
    response = client.post(
        "/ui/login", data={"api_key": token, "csrf_token": csrf_token(form.text)}
    )
    if response.status_code != 200 or "/ui/login" in str(response.url):
        raise AssertionError(f"sign-in refused: {response.status_code} {response.url}")
    return csrf_token(response.text)


def mint_session(app: FastAPI, principal: Principal | None) -> tuple[str, str]:
    """A session cookie value and its CSRF token for ``principal`` (None: the anonymous
    pre-session), signed by ``app``'s UI as if it had issued them."""
    web = app.state.web_ui.state.web
    assert isinstance(web, WebUi)
    session = web.signer.issue(web.now(), principal)
    return web.signer.dumps(session), web.signer.csrf_token(session)
