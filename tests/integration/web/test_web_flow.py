"""The reviewer UI over the service, through a ``TestClient``: signing in and out, refused
sessions and forms, role checks, and claim → decide, appeals and the dashboard end to end."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.api.testing import A1111, ApiHarness, TestClient, api_harness, png_bytes
from deepscreen.api.web.session import COOKIE
from deepscreen.api.web.testing import csrf_token, sign_in
from deepscreen.core.access import Role
from deepscreen.core.clock import ManualClock
from deepscreen.core.events import AppealResolved, ItemRestored, ReviewCompleted
from deepscreen.service.appeals import open_appeal
from deepscreen.service.keys import parse_token, revoke_key
from deepscreen.service.review_queue import pseudonym
from deepscreen.service.scan import scan_bytes
from deepscreen.settings import Settings

NEWS = {"category": "news"}  # declared-AI media in a sensitive category goes to review


def _harness(gold_share: float = 0.0, **options) -> ApiHarness:
    settings = Settings(db_url="memory://", review={"gold_share": gold_share})
    return api_harness(settings=settings, **options)


def _scan(harness: ApiHarness, data: bytes, name: str) -> str:
    outcome = scan_bytes(harness.services, data, source=name, attributes=NEWS)
    assert outcome.decision.action.value == "review"
    return outcome.item_id


def _textured_png(seed: int, brighten: int = 0) -> bytes:
    """A detailed picture (PDQ quality well over 50) carrying AI generator metadata."""
    blocks = np.random.default_rng(seed).integers(0, 200, (12, 16, 3), dtype=np.uint8)
    image = Image.fromarray(blocks + brighten).resize((256, 192), Image.Resampling.BILINEAR)
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def _client(harness: ApiHarness) -> TestClient:
    return TestClient(harness.app)


def _key_id(harness: ApiHarness, role: Role) -> str:
    parsed = parse_token(harness.tokens[role])
    assert parsed is not None
    return parsed[0]


@pytest.fixture
def harness() -> Iterator[ApiHarness]:
    harness = _harness()
    for i in range(3):
        _scan(harness, png_bytes((200, 10 * i, 10)), f"upload{i}.png")
    yield harness
    harness.close()


def _claim(client: TestClient, csrf: str, scope: str = "review") -> str:
    """Claim the next task; returns the task page's path."""
    response = client.post("/ui/claim", data={"csrf_token": csrf, "scope": scope})
    assert response.status_code == 200 and "/ui/tasks/" in response.url.path, response.url
    return response.url.path


# ------------------------------------------------------------------ signing in and out


def test_sign_in_sets_a_signed_httponly_strict_cookie(harness: ApiHarness) -> None:
    with _client(harness) as client:
        form = client.get("/ui/login")
        response = client.post(
            "/ui/login",
            data={"api_key": harness.tokens[Role.REVIEWER], "csrf_token": csrf_token(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303 and response.headers["location"] == "/ui/"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=")
        for attribute in ("HttpOnly", "SameSite=strict", "Path=/ui"):
            assert attribute.lower() in cookie.lower()
        secret = (parse_token(harness.tokens[Role.REVIEWER]) or ("", ""))[1]
        assert len(secret) > 20 and secret not in cookie  # never the key's secret
        assert client.get("/ui/").url.path == "/ui/queue"
    entries = harness.stores.audit.entries(actor=_key_id(harness, Role.REVIEWER))
    assert [e.action for e in entries] == ["ui.login"]


def test_sign_out_ends_the_session(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        response = client.post("/ui/logout", data={"csrf_token": csrf})
        assert response.url.path == "/ui/login" and "You are signed out." in response.text
        assert client.get("/ui/queue").url.path == "/ui/login"


def test_a_cookie_copied_before_sign_out_is_refused_after_it(harness: ApiHarness) -> None:
    """Sign-out ends the session on the server: a copy of the cookie (another browser, a
    stolen one) is refused like no session at all, not accepted until its expiry."""
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        copied = client.cookies[COOKIE]
        with _client(harness) as other:
            other.cookies.set(COOKIE, copied)
            assert other.get("/ui/queue").url.path == "/ui/queue"  # the copy works, for now
            client.post("/ui/logout", data={"csrf_token": csrf})
            page = other.get("/ui/queue", follow_redirects=False)
            assert page.status_code == 303
            assert page.headers["location"].startswith("/ui/login?msg=expired")
            script = other.get("/ui/queue", headers={"Accept": "application/json"})
            assert script.status_code == 401
            refused = other.post("/ui/claim", data={"csrf_token": csrf}, follow_redirects=False)
            assert refused.status_code == 303 and refused.headers["location"].startswith(
                "/ui/login"
            )


@pytest.mark.parametrize(
    ("token", "status", "text"),
    [
        ("ds_0123456789abcdef_" + "x" * 30, 401, "not accepted"),
        ("not a key", 401, "not accepted"),
    ],
)
def test_a_bad_key_is_refused(harness: ApiHarness, token: str, status: int, text: str) -> None:
    with _client(harness) as client:
        form = client.get("/ui/login")
        response = client.post(
            "/ui/login", data={"api_key": token, "csrf_token": csrf_token(form.text)}
        )
        assert response.status_code == status and text in response.text
        assert 'role="alert"' in response.text


def test_an_ingest_key_cannot_sign_in(harness: ApiHarness) -> None:
    with _client(harness) as client:
        form = client.get("/ui/login")
        response = client.post(
            "/ui/login",
            data={"api_key": harness.tokens[Role.INGEST], "csrf_token": csrf_token(form.text)},
        )
        assert response.status_code == 403 and "cannot use the reviewer UI" in response.text


def test_after_sign_in_the_page_asked_for_opens(harness: ApiHarness) -> None:
    with _client(harness) as client:
        login = client.get("/ui/appeals")
        assert login.url.path == "/ui/login" and login.url.params["next"] == "/ui/appeals"
        response = client.post(
            "/ui/login",
            data={
                "api_key": harness.tokens[Role.REVIEWER],
                "csrf_token": csrf_token(login.text),
                "next": "/ui/appeals",
            },
        )
        assert response.url.path == "/ui/appeals"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/ui/", "/v1/metrics"])
def test_sign_in_never_redirects_off_the_ui(harness: ApiHarness, target: str) -> None:
    with _client(harness) as client:
        form = client.get("/ui/login")
        response = client.post(
            "/ui/login",
            data={
                "api_key": harness.tokens[Role.REVIEWER],
                "csrf_token": csrf_token(form.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/ui/"


# ------------------------------------------------------------------ refused sessions and forms


def test_a_tampered_session_cookie_is_refused(harness: ApiHarness) -> None:
    with _client(harness) as client:
        sign_in(client, harness.tokens[Role.ANALYST])
        payload, mac = client.cookies[COOKIE].split(".")
        forged = payload.replace(payload[5], "A" if payload[5] != "A" else "B")
        client.cookies.set(COOKIE, f"{forged}.{mac}", path="/ui")
        assert client.get("/ui/dashboard").url.path == "/ui/login"


def test_a_session_cookie_from_another_app_is_refused(harness: ApiHarness) -> None:
    other = _harness()
    try:
        with _client(other) as elsewhere:
            sign_in(elsewhere, other.tokens[Role.REVIEWER])
            stolen = elsewhere.cookies[COOKIE]
        with _client(harness) as client:
            client.cookies.set(COOKIE, stolen, path="/ui")
            assert client.get("/ui/queue").url.path == "/ui/login"
    finally:
        other.close()


def test_a_session_ends_when_its_key_is_revoked(harness: ApiHarness) -> None:
    with _client(harness) as client:
        sign_in(client, harness.tokens[Role.REVIEWER])
        assert client.get("/ui/queue").status_code == 200
        key_id = _key_id(harness, Role.REVIEWER)
        revoke_key(harness.stores.keys, harness.stores.audit, key_id, actor="t", clock=_now)
        assert client.get("/ui/queue").url.path == "/ui/login"


def test_a_session_expires() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    harness = _harness(clock=clock)
    try:
        with _client(harness) as client:
            sign_in(client, harness.tokens[Role.REVIEWER])
            clock.set(clock.now + timedelta(hours=7, minutes=59))
            assert client.get("/ui/queue").url.path == "/ui/queue"
            clock.set(clock.now + timedelta(minutes=2))
            response = client.get("/ui/queue")
            assert response.url.path == "/ui/login" and "session has ended" in response.text
    finally:
        harness.close()


@pytest.mark.parametrize("token", [None, "", "forged", "from-another-session"])
def test_a_post_without_its_sessions_csrf_token_is_refused(
    harness: ApiHarness, token: str | None
) -> None:
    with _client(harness) as client, _client(harness) as other:
        sign_in(client, harness.tokens[Role.REVIEWER])
        if token == "from-another-session":
            token = sign_in(other, harness.tokens[Role.REVIEWER])
        data = {} if token is None else {"csrf_token": token}
        response = client.post("/ui/claim", data=data)
        assert response.status_code == 403 and "reload the page" in response.text
        counts = {c.status.value: c.tasks for c in harness.services.review_queue.counts(now=_now())}
        assert counts == {"open": 3}


def test_the_login_form_is_csrf_checked_too(harness: ApiHarness) -> None:
    with _client(harness) as client:
        client.get("/ui/login")
        response = client.post(
            "/ui/login", data={"api_key": harness.tokens[Role.REVIEWER], "csrf_token": "x"}
        )
        assert response.status_code == 403
        fresh = _client(harness)  # no pre-session cookie at all
        assert fresh.post("/ui/login", data={"api_key": "k", "csrf_token": "x"}).status_code == 403


def test_pages_carry_a_strict_content_security_policy(harness: ApiHarness) -> None:
    with _client(harness) as client:
        headers = client.get("/ui/login").headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["cache-control"] == "no-store"


# ------------------------------------------------------------------ roles


def test_an_analyst_sees_only_the_dashboard(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.ANALYST])
        assert client.get("/ui/").url.path == "/ui/dashboard"
        assert client.get("/ui/queue").status_code == 403
        assert client.get("/ui/appeals").status_code == 403
        assert client.post("/ui/claim", data={"csrf_token": csrf}).status_code == 403
        page = client.get("/ui/dashboard").text
        assert 'href="/ui/queue"' not in page  # no navigation to what it may not open


# ------------------------------------------------------------------ the review flow


def test_claim_then_decide_moves_the_queue_and_records_the_review(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        queue = client.get("/ui/queue").text
        assert "synthetic_media" in queue and "Claim next task" in queue
        task_path = _claim(client, csrf)
        task_id = task_path.rsplit("/", 1)[1]
        page = client.get(task_path).text
        assert "Keyboard shortcuts" in page and 'data-key="v"' in page
        done = client.post(
            f"{task_path}/decide",
            data={
                "csrf_token": csrf,
                "verdict": "violating",
                "reason_code": "deepfake_of_real_person",
                "label": "deepfake",
            },
        )
        assert done.url.path == "/ui/queue" and "Decision recorded" in done.text
    counts = {c.status.value: c.tasks for c in harness.services.review_queue.counts(now=_now())}
    assert counts == {"open": 2, "done": 1}
    task = harness.services.review_queue.get(task_id)
    reviews = [
        e for e in harness.services.store.for_item(task.item_id) if isinstance(e, ReviewCompleted)
    ]
    assert len(reviews) == 1
    review = reviews[0]
    assert (review.verdict.value, review.reason_code, review.label) == (
        "violating",
        "deepfake_of_real_person",
        "deepfake",
    )
    assert review.reviewer == _key_id(harness, Role.REVIEWER)
    assert review.decision_id == task.decision_id
    actions = [e.action for e in harness.stores.audit.entries(actor=review.reviewer)]
    assert actions == ["ui.login", "review.claim", "review.decide"]


def test_overdue_tasks_are_flagged_on_the_queue_page() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 8, tzinfo=UTC))
    harness = _harness(clock=clock)
    try:
        _scan(harness, png_bytes((9, 9, 9)), "late.png")
        clock.set(clock.now + timedelta(hours=25))  # the default SLA is 24 h
        with _client(harness) as client:
            sign_in(client, harness.tokens[Role.REVIEWER])
            page = client.get("/ui/queue").text
        assert '<tr class="is-overdue">' in page and "1 overdue" in page
        assert "No task is past its SLA deadline." not in page
        assert "2026-03-02 08:00:00 UTC" in page  # the deadline, in the overdue list
    finally:
        harness.close()


def test_the_task_page_shows_the_evidence_and_that_media_is_not_retained(
    harness: ApiHarness,
) -> None:
    with _client(harness) as client:
        task_path = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
        page = client.get(task_path).text
    assert "The media itself is not retained" in page
    assert "image/png" in page and "64 × 48 px" in page and "news" in page
    for detector in ("c2pa", "hashmatch", "metadata", "watermark"):
        assert f'">{detector} <span class="muted">version 1</span></h3>' in page
    assert "automatic1111 (png_text:parameters)" in page  # the metadata signal's evidence
    assert "review_declared_ai_sensitive" in page and "(fired)" in page
    assert "Policy revision" in page and harness.services.bundle.revision in page
    assert "Inputs the policy evaluated" in page


def test_an_invalid_decision_is_refused_and_leaves_the_task_claimed(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task_path = _claim(client, csrf)
        response = client.post(
            f"{task_path}/decide",
            data={"csrf_token": csrf, "verdict": "violating", "reason_code": "because"},
        )
        assert response.status_code == 422 and "not one of the configured" in response.text
    counts = {c.status.value: c.tasks for c in harness.services.review_queue.counts(now=_now())}
    assert counts == {"open": 2, "claimed": 1}


def test_renew_extends_the_lease_and_release_gives_the_task_back(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task_path = _claim(client, csrf)
        headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
        lease = client.post(f"{task_path}/renew", headers=headers).json()
        assert lease["lease_seconds"] == 900 and 0 < lease["seconds_left"] <= 900
        released = client.post(f"{task_path}/release", data={"csrf_token": csrf})
        assert "released back to the queue" in released.text
        lost = client.post(f"{task_path}/renew", headers=headers)
        assert lost.status_code == 409 and lost.json()["error"]["code"] == "lease_not_held"
        assert client.get(task_path).status_code == 409  # the page is the holder's only
    counts = {c.status.value: c.tasks for c in harness.services.review_queue.counts(now=_now())}
    assert counts == {"open": 3}


def test_another_reviewer_cannot_open_a_claimed_task(harness: ApiHarness) -> None:
    with _client(harness) as ann, _client(harness) as admin:
        task_path = _claim(ann, sign_in(ann, harness.tokens[Role.REVIEWER]))
        sign_in(admin, harness.tokens[Role.ADMIN])
        assert admin.get(task_path).status_code == 409


def test_similar_banked_items_include_those_banked_since_the_scan() -> None:
    harness = _harness()
    try:
        original = _scan(harness, _textured_png(7), "original.png")
        copy = _scan(harness, _textured_png(7, brighten=4), "copy.png")
        with _client(harness) as client:
            csrf = sign_in(client, harness.tokens[Role.REVIEWER])
            first = _claim(client, csrf)
            first_item = harness.services.review_queue.get(first.rsplit("/", 1)[1]).item_id
            client.post(
                f"{first}/decide",
                data={
                    "csrf_token": csrf,
                    "verdict": "violating",
                    "reason_code": "deepfake_of_real_person",
                    "label": "deepfake",
                },
            )
            page = client.get(_claim(client, csrf)).text
        other = copy if first_item == original else original
        assert other != first_item
        assert "confirmed_deepfakes" in page and "since scan" in page and first_item in page
    finally:
        harness.close()


# ------------------------------------------------------------------ gold items, appeals


def test_a_gold_task_does_not_show_its_answer() -> None:
    harness = _harness(gold_share=1.0)
    try:
        _scan(harness, png_bytes((1, 2, 3)), "one.png")
        with _client(harness) as ann, _client(harness) as bo:
            csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
            first = _claim(ann, csrf)  # nothing labelled yet: an ordinary task
            ann.post(
                f"{first}/decide",
                data={"csrf_token": csrf, "verdict": "violating", "reason_code": "satire_or_art"},
            )
            bo_csrf = sign_in(bo, harness.tokens[Role.ADMIN])
            gold = _claim(bo, bo_csrf)
            assert gold.startswith("/ui/tasks/gold:")
            page = bo.get(gold).text
            assert "Review task" in page and "satire" not in page.split("Reason code")[0]
            bo.post(
                f"{gold}/decide",
                data={
                    "csrf_token": bo_csrf,
                    "verdict": "violating",
                    "reason_code": "satire_or_art",
                },
            )
            board = bo.get("/ui/dashboard").text
        admin_key = _key_id(harness, Role.ADMIN)
        assert pseudonym(harness.services, admin_key) in board
        assert f"<code>{admin_key}</code>" not in board.split("Reviewer accuracy")[1]
        assert "1 / 1" in board
    finally:
        harness.close()


def test_an_appeal_is_resolved_by_someone_who_did_not_review_the_item(
    harness: ApiHarness,
) -> None:
    with _client(harness) as ann, _client(harness) as admin:
        csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
        task_path = _claim(ann, csrf)
        item_id = harness.services.review_queue.get(task_path.rsplit("/", 1)[1]).item_id
        ann.post(
            f"{task_path}/decide",
            data={"csrf_token": csrf, "verdict": "violating", "reason_code": "manipulated_media"},
        )
        open_appeal(harness.services, item_id, "this is my own photo <b>really</b>", now=_now())
        nothing = ann.post("/ui/claim", data={"csrf_token": csrf, "scope": "appeals"})
        assert "never given an appeal of an item you reviewed" in nothing.text

        admin_csrf = sign_in(admin, harness.tokens[Role.ADMIN])
        assert ">appeals<" in admin.get("/ui/appeals").text
        appeal = _claim(admin, admin_csrf, scope="appeals")
        page = admin.get(appeal).text
        assert "this is my own photo &lt;b&gt;really&lt;/b&gt;" in page  # escaped
        assert 'value="reversed"' in page and 'value="verdict"' not in page
        done = admin.post(
            f"{appeal}/resolve",
            data={
                "csrf_token": admin_csrf,
                "outcome": "reversed",
                "reason_code": "new_context_from_appeal",
            },
        )
        assert done.url.path == "/ui/appeals" and "Appeal resolved." in done.text
    events = harness.services.store.for_item(item_id)
    resolved = [e for e in events if isinstance(e, AppealResolved)]
    assert [e.outcome.value for e in resolved] == ["reversed"]
    assert any(isinstance(e, ItemRestored) for e in events)


# ------------------------------------------------------------------ dashboard


def test_the_dashboard_shows_headline_metrics(harness: ApiHarness) -> None:
    with _client(harness) as client:
        sign_in(client, harness.tokens[Role.ANALYST])
        page = client.get("/ui/dashboard").text
    titles = (
        "Uploads",
        "Items sent to human review",
        "Items with a ground-truth label",
        "Items enforced (any restricting action)",
    )
    for title in titles:  # the labels of core.metrics
        assert f">{title}</h3>" in page
    assert _metric(page, "uploads") == "3" and _metric(page, "labelled_items") == "0"
    assert "No gold item has been judged yet." in page


def test_the_dashboard_counts_a_decision(harness: ApiHarness) -> None:
    with _client(harness) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task_path = _claim(client, csrf)
        client.post(
            f"{task_path}/decide",
            data={"csrf_token": csrf, "verdict": "not_violating", "reason_code": "disclosed_ai"},
        )
        page = client.get("/ui/dashboard").text
    assert _metric(page, "labelled_items") == "1"


def _metric(page: str, name: str) -> str:
    card = page.split(f'data-metric="{name}"')[1]
    return card.split('class="value"')[1].split(">", 1)[1].split("<", 1)[0]


def _now() -> datetime:
    return datetime.now(UTC)
