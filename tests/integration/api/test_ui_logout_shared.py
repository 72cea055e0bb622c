"""Signing out of the reviewer UI holds across server processes that share the database: two
apps over one SQLite file (and PostgreSQL when DEEPSCREEN_TEST_POSTGRES_URL is set), signing
sessions with the same configured secret as ``deepscreen serve --workers N`` does."""

from __future__ import annotations

from collections.abc import Callable

from deepscreen.api.testing import ApiHarness, TestClient
from deepscreen.api.web.session import COOKIE
from deepscreen.api.web.testing import sign_in
from deepscreen.core.access import Role
from deepscreen.settings import Settings

SHARED = Settings(db_url="memory://", review={"pseudonym_secret": "s" * 32})


def test_a_sign_out_on_one_process_ends_the_session_on_every_other(
    make_harness: Callable[..., ApiHarness],
) -> None:
    first, second = make_harness(settings=SHARED), make_harness(settings=SHARED)
    with TestClient(first.app) as browser, TestClient(second.app) as elsewhere:
        csrf = sign_in(browser, first.tokens[Role.REVIEWER])
        elsewhere.cookies.set(COOKIE, browser.cookies[COOKIE])
        assert elsewhere.get("/ui/queue").url.path == "/ui/queue"  # the other process accepts it

        browser.post("/ui/logout", data={"csrf_token": csrf})

        refused = elsewhere.get("/ui/queue", follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/ui/login?msg=expired")
