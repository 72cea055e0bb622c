"""Working a shift in the reviewer UI, through a ``TestClient``: decide and next (same queue,
any queue, none left), the action picker (the policy's actions, the routing rule's default,
recorded on the ``ReviewCompleted``), the appeal page's facts, queue rows (category, age, SLA
state, filtered thumbnails served only to reviewers who may claim the task), signing in again
returning one's held task, and dashboard rates as percentages with their n."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepscreen.api.testing import CHEAP_HASHER, ApiHarness, TestClient, api_harness, png_bytes
from deepscreen.api.web.testing import csrf_token, sign_in
from deepscreen.core.access import Role
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.events import NoticeType, ReviewCompleted
from deepscreen.service.appeals import open_appeal
from deepscreen.service.keys import create_key, parse_token
from deepscreen.service.review_queue import pseudonym
from deepscreen.service.scan import scan_bytes
from deepscreen.service.takedown import NoticeRequest, TakedownConfig, submit_notice
from deepscreen.settings import Settings

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
POLICY = """
rules:
  - id: review_news
    description: News items need a person; a violation is labelled by default.
    when: "has(item.category) && item.category == 'news'"
    action: {type: review, queue: news, violating_action: label}
  - id: review_sport
    when: "has(item.category) && item.category == 'sport'"
    action: {type: review, queue: sport}
  - id: downrank_spam
    when: "has(item.category) && item.category == 'spam'"
    action: {type: downrank}
  - id: remove_banned
    when: "has(item.category) && item.category == 'banned'"
    action: {type: remove}
default: {type: allow}
"""


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ApiHarness]:
    """Two review queues (news: default action label; sport: the platform's remove), retained
    media, news blurred and greyscale by the wellness settings; a manual clock."""
    policy = tmp_path / "policy"
    policy.mkdir()
    (policy / "policy.yaml").write_text(POLICY)
    settings = Settings(
        db_url="memory://",
        policy_dir=str(policy),
        review={
            "gold_share": 0.0,
            "wellness": {"blur_categories": ["news"], "greyscale_categories": ["news"]},
        },
        media_store={"backend": "local", "path": str(tmp_path / "media")},
    )
    harness = api_harness(settings=settings, clock=ManualClock(T0))
    yield harness
    harness.close()


def _scan(harness: ApiHarness, category: str, colour: int) -> str:
    data = _picture(colour)
    return scan_bytes(
        harness.services, data, source=f"{category}{colour}.png", attributes={"category": category}
    ).item_id


def _picture(colour: int) -> bytes:
    """A colourful 120 × 80 picture: a thumbnail of it shows whether it was greyed."""
    image = Image.new("RGB", (120, 80), (220, colour, 30))
    image.paste((20, 60, 230), (60, 0, 120, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _claim(client: TestClient, csrf: str, queue: str = "", scope: str = "review") -> str:
    response = client.post("/ui/claim", data={"csrf_token": csrf, "scope": scope, "queue": queue})
    assert "/ui/tasks/" in response.url.path, response.text[:500]
    return response.url.path


def _decide(client: TestClient, task: str, csrf: str, **form: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf, "verdict": "violating", "reason_code": "manipulated_media"}
    return client.post(f"{task}/decide", data={**data, **form})


def _task_id(path: str) -> str:
    return path.rsplit("/", 1)[1]


def _reviews(harness: ApiHarness, item_id: str) -> list[ReviewCompleted]:
    events = harness.services.store.for_item(item_id)
    return [e for e in events if isinstance(e, ReviewCompleted)]


def _other_reviewer(harness: ApiHarness) -> str:
    return create_key(
        harness.stores.keys,
        harness.stores.audit,
        role=Role.REVIEWER,
        name="bo",
        actor="t",
        clock=harness.services.clock,
        hasher=CHEAP_HASHER,
    ).token


# ------------------------------------------------------------------ decide and next


def test_decide_and_next_stays_in_the_queue_it_was_claimed_from(harness: ApiHarness) -> None:
    news = [_scan(harness, "news", c) for c in (10, 20)]
    _scan(harness, "sport", 30)
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        claimed = client.post("/ui/claim", data={"csrf_token": csrf, "queue": "news"})
        assert claimed.url.params["queue"] == "news" and "Task claimed" in claimed.text
        first = claimed.url.path
        page = client.get(first, params={"queue": "news"}).text
        assert '<input type="hidden" name="queue" value="news">' in page
        second = _decide(client, first, csrf, then="next", queue="news")
        assert second.url.path.startswith("/ui/tasks/") and second.url.path != first
        assert second.url.params["queue"] == "news"
        assert "Decision recorded. This is your next task." in second.text
        task = harness.services.review_queue.get(_task_id(second.url.path))
        assert task.queue == "news" and task.item_id in news
        assert task.item_id not in page  # the next page is another item's
        empty = _decide(client, second.url.path, csrf, then="next", queue="news")
        assert empty.url.path == "/ui/queue"
        assert "Decision recorded. No more tasks to claim in this queue right now." in empty.text
        # "and back to queue" and any queue: the sport task is still there
        third = _claim(client, csrf)
        assert harness.services.review_queue.get(_task_id(third)).queue == "sport"
        back = _decide(client, third, csrf, then="queue")
        assert back.url.path == "/ui/queue" and "The task is done." in back.text


def test_decide_and_next_from_any_queue_and_an_unknown_queue_means_any(harness: ApiHarness) -> None:
    _scan(harness, "news", 10)
    _scan(harness, "sport", 30)
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        first = _claim(client, csrf, queue="no-such-queue")  # drawn from every review queue
        assert '<input type="hidden" name="queue" value="">' in client.get(first).text
        second = _decide(client, first, csrf, then="next", queue="<script>")
        queues = {
            harness.services.review_queue.get(_task_id(p)).queue for p in (first, second.url.path)
        }
        assert queues == {"news", "sport"} and "queue" not in second.url.params


def test_resolve_and_next_opens_the_next_appeal(harness: ApiHarness) -> None:
    items = [_scan(harness, "news", c) for c in (10, 20)]
    with TestClient(harness.app) as ann, TestClient(harness.app) as bo:
        csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
        task = _claim(ann, csrf)
        for _ in items:
            task = _decide(ann, task, csrf, then="next").url.path
        for item in items:
            open_appeal(harness.services, item, "mine", now=harness.services.clock())
        bo_csrf = sign_in(bo, _other_reviewer(harness))
        appeal = _claim(bo, bo_csrf, scope="appeals")
        data = {"csrf_token": bo_csrf, "outcome": "upheld", "reason_code": "manipulated_media"}
        second = bo.post(f"{appeal}/resolve", data={**data, "then": "next"})
        assert second.url.path.startswith("/ui/tasks/appeal:") and second.url.path != appeal
        assert "Appeal resolved. This is your next appeal." in second.text
        last = bo.post(f"{second.url.path}/resolve", data={**data, "then": "next"})
        assert last.url.path == "/ui/appeals"
        assert "Appeal resolved. No more appeals you may take right now." in last.text


# ------------------------------------------------------------------ the action picker


def test_the_action_picker_offers_the_policys_actions_defaulting_to_the_rules(
    harness: ApiHarness,
) -> None:
    news = _scan(harness, "news", 10)
    sport = _scan(harness, "sport", 30)
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf, queue="news")
        page = client.get(task).text
        offered = re.findall(r'<input type="radio" id="action-(\w+)" name="action"', page)
        assert offered == ["label", "downrank", "remove"]  # the bundle's restricting actions
        assert re.search(r'id="action-label"[^>]*data-key="l" checked>', page)
        assert "named by the routing rule review_news" in page
        refused = _decide(client, task, csrf, action="age_gate")  # not in this policy
        assert refused.status_code == 422 and "not one this task allows" in refused.text
        assert _decide(client, task, csrf, action="downrank").status_code == 200

        task = _claim(client, csrf, queue="sport")  # the rule names none: [review] setting
        page = client.get(task).text
        assert re.search(r'id="action-remove"[^>]*checked>', page)
        assert "the platform&#39;s setting ([review] violating_action)" in page
        _decide(client, task, csrf)  # no action posted: the default
    assert [r.action for r in _reviews(harness, news)] == [Action.DOWNRANK]
    assert [r.action for r in _reviews(harness, sport)] == [Action.REMOVE]
    key_id = (parse_token(harness.tokens[Role.REVIEWER]) or ("", ""))[0]
    decided = [e for e in harness.stores.audit.entries(actor=key_id) if e.action == "review.decide"]
    assert [e.details.get("action") for e in decided] == ["downrank", "remove"]


def test_a_clearance_applies_no_action_whatever_the_form_says(harness: ApiHarness) -> None:
    item = _scan(harness, "news", 10)
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf)
        _decide(
            client,
            task,
            csrf,
            verdict="not_violating",
            reason_code="authentic_media",
            action="remove",
        )
    assert [(r.verdict.value, r.action) for r in _reviews(harness, item)] == [
        ("not_violating", Action.ALLOW)
    ]


def test_an_ncii_takedown_offers_removal_only(harness: ApiHarness) -> None:
    item = _scan(harness, "other", 90)  # allowed at upload
    request = NoticeRequest(
        notice_type=NoticeType.NCII,
        item_id=item,
        statement="it is me",
        contact="me@example.org",
        good_faith=True,
    )
    submit_notice(harness.services, TakedownConfig(), request, now=harness.services.clock())
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf)
        page = client.get(task).text
        assert re.findall(r'id="action-(\w+)" name="action"', page) == ["remove"]
        assert "Takedown request" in page and "it is me" in page and "ncii" in page
        assert "me@example.org" not in page  # never the requester's contact
        assert _decide(client, task, csrf, action="label").status_code == 422
        _decide(client, task, csrf, reason_code="manipulated_media")
    assert [r.action for r in _reviews(harness, item)] == [Action.REMOVE]


def test_the_takedown_queue_shows_the_legal_deadlines_as_its_sla(harness: ApiHarness) -> None:
    item = _scan(harness, "other", 91)
    request = NoticeRequest(
        notice_type=NoticeType.NCII,
        item_id=item,
        statement="it is me",
        contact="me@example.org",
        good_faith=True,
    )
    submit_notice(harness.services, TakedownConfig(), request, now=harness.services.clock())
    with TestClient(harness.app) as client:
        sign_in(client, harness.tokens[Role.REVIEWER])
        page = client.get("/ui/queue").text
    row = page[page.index('data-queue="takedown"') :].split("</tr>")[0]
    assert "<td>per notice: NCII 48 h, DSA 24 h, other 72 h</td>" in row  # not the 24 h default


# ------------------------------------------------------------------ the appeal page


def test_the_appeal_page_shows_the_decision_the_review_and_the_statement(
    harness: ApiHarness,
) -> None:
    item = _scan(harness, "news", 10)
    with TestClient(harness.app) as ann, TestClient(harness.app) as bo:
        csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
        _decide(ann, _claim(ann, csrf), csrf, action="downrank", label="deepfake")
        open_appeal(harness.services, item, "It is <b>satire</b>", now=harness.services.clock())
        page = bo.get(_claim(bo, sign_in(bo, _other_reviewer(harness)), scope="appeals")).text
    facts = page.split('id="appeal-facts"')[1].split("</section>")[0]
    assert '<dd id="appeal-decision-action">review</dd>' in facts
    assert "<code>review_news</code>" in facts
    assert '<dd id="appeal-review-verdict">violating</dd>' in facts
    assert '<dd id="appeal-review-action">downrank</dd>' in facts
    assert "<code>manipulated_media</code>" in facts and "deepfake" in facts
    assert '<dd id="appeal-enforced-action">downrank</dd>' in facts
    assert "It is &lt;b&gt;satire&lt;/b&gt;" in facts  # escaped
    ann_key = (parse_token(harness.tokens[Role.REVIEWER]) or ("", ""))[0]
    assert pseudonym(harness.services, ann_key) in facts and ann_key not in page
    assert "Mon 2 Mar 2026, 09:00 UTC" in facts  # decided, in UTC words
    assert 'datetime="2026-03-02T09:00:00+00:00"' in facts


def test_an_appeal_against_an_automated_action_says_no_person_reviewed_it(
    harness: ApiHarness,
) -> None:
    item = _scan(harness, "banned", 10)
    open_appeal(harness.services, item, "", now=harness.services.clock())
    with TestClient(harness.app) as client:
        page = client.get(
            _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]), scope="appeals")
        ).text
    assert "No person reviewed it: the action was applied automatically." in page
    assert "<code>remove_banned</code>" in page and "(no statement)" in page
    assert 'name="action"' not in page  # an appeal is resolved by outcome, not action


# ------------------------------------------------------------------ queue rows, thumbnails


def test_queue_rows_show_category_age_sla_and_a_filtered_thumbnail(harness: ApiHarness) -> None:
    clock = harness.services.clock
    assert isinstance(clock, ManualClock)
    _scan(harness, "news", 10)
    clock.set(T0 + timedelta(hours=20))  # the news task: 4 h of its 24 h SLA left
    _scan(harness, "sport", 30)
    clock.set(T0 + timedelta(hours=20, minutes=30))
    with TestClient(harness.app) as client:
        sign_in(client, harness.tokens[Role.REVIEWER])
        page = client.get("/ui/queue").text
        rows = re.findall(r'<tr class="sla-(\w+)" data-task="([^"]+)">(.*?)</tr>', page, re.S)
        assert [(state, _cells(html)[1]) for state, _, html in rows] == [
            ("due_soon", "news"),
            ("ok", "sport"),
        ]
        news_cells, sport_cells = (_cells(html) for _, _, html in rows)
        assert news_cells[3].startswith("20 h 30 min") and "due soon: in 3 h 30 min" in page
        assert sport_cells[3].startswith("30 min") and "ok: due in 23 h 30 min" in sport_cells[4]
        assert "blurred, greyscale" in news_cells[0] and "blurred" not in sport_cells[0]
        news_thumb = client.get(f"/ui/tasks/{rows[0][1]}/thumbnail")
        sport_thumb = client.get(f"/ui/tasks/{rows[1][1]}/thumbnail")
        clock.set(T0 + timedelta(hours=25))
        late = client.get("/ui/queue").text
    assert "overdue by 1 h" in late and '<strong class="flag">overdue by 1 h</strong>' in late
    for thumb in (news_thumb, sport_thumb):
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
        assert thumb.headers["cache-control"] == "no-store"
    grey, colour = (
        Image.open(io.BytesIO(t.content)).convert("RGB") for t in (news_thumb, sport_thumb)
    )
    assert max(grey.size) == 96 and _is_grey(grey) and not _is_grey(colour)


def _cells(row: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]


def _is_grey(image: Image.Image) -> bool:
    pixels = np.asarray(image)
    return bool(
        (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all()
    )


def test_thumbnails_only_of_tasks_one_may_claim(harness: ApiHarness) -> None:
    _scan(harness, "sport", 30)
    _scan(harness, "sport", 40)
    with TestClient(harness.app) as ann, TestClient(harness.app) as bo:
        csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
        held = _task_id(_claim(ann, csrf))
        item = harness.services.review_queue.get(held).item_id
        sign_in(bo, _other_reviewer(harness))
        assert ann.get(f"/ui/tasks/{held}/thumbnail").status_code == 200  # the holder's
        refused = bo.get(f"/ui/tasks/{held}/thumbnail")  # held by another reviewer
        assert refused.status_code == 403 and b"PNG" not in refused.content
        page = bo.get("/ui/queue").text
        assert f'src="/ui/tasks/{held}/thumbnail"' not in page and "held by another" in page
        _decide(ann, f"/ui/tasks/{held}", csrf)
        assert ann.get(f"/ui/tasks/{held}/thumbnail").status_code == 403  # done
        open_appeal(harness.services, item, "", now=harness.services.clock())
        appeal = harness.services.review_queue.list_tasks(queues=["appeals"])[0].task_id
        assert ann.get(f"/ui/tasks/{appeal}/thumbnail").status_code == 403  # ann reviewed it
        assert "not yours: you reviewed the item" in ann.get("/ui/appeals").text
        assert bo.get(f"/ui/tasks/{appeal}/thumbnail").status_code == 200
        assert bo.get("/ui/tasks/review:nope/thumbnail").status_code == 404


def test_no_thumbnail_without_a_retained_copy() -> None:
    harness = api_harness(settings=Settings(db_url="memory://", review={"gold_share": 0.0}))
    try:
        scan_bytes(
            harness.services,
            png_bytes((200, 10, 10)),
            source="a.png",
            attributes={"category": "news"},
        )
        with TestClient(harness.app) as client:
            sign_in(client, harness.tokens[Role.REVIEWER])
            page = client.get("/ui/queue").text
            task = re.findall(r'data-task="([^"]+)"', page)[0]
            assert "/thumbnail" not in page and ">news</td>" in page
            assert client.get(f"/ui/tasks/{task}/thumbnail").status_code == 404
    finally:
        harness.close()


# ------------------------------------------------------------------ signing in again


def test_signing_in_again_returns_to_the_task_one_holds(harness: ApiHarness) -> None:
    _scan(harness, "news", 10)
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf)
        client.post("/ui/logout", data={"csrf_token": csrf})
        form = client.get("/ui/login")
        back = client.post(
            "/ui/login",
            data={"api_key": harness.tokens[Role.REVIEWER], "csrf_token": csrf_token(form.text)},
        )
        assert back.url.path == task and "this is the task you still hold" in back.text
        # a page asked for explicitly wins
        client.post("/ui/logout", data={"csrf_token": csrf_token(back.text)})
        form = client.get("/ui/login")
        asked = client.post(
            "/ui/login",
            data={
                "api_key": harness.tokens[Role.REVIEWER],
                "csrf_token": csrf_token(form.text),
                "next": "/ui/dashboard",
            },
        )
        assert asked.url.path == "/ui/dashboard"
    clock = harness.services.clock
    assert isinstance(clock, ManualClock)
    clock.set(T0 + timedelta(minutes=16))  # the lease has run out: back to the queue
    with TestClient(harness.app) as client:
        sign_in(client, harness.tokens[Role.REVIEWER])
        assert client.get("/ui/").url.path == "/ui/queue"


# ------------------------------------------------------------------ dashboard


def test_dashboard_rates_are_percentages_with_their_n(harness: ApiHarness) -> None:
    items = [_scan(harness, "news", c) for c in (10, 20)]
    with TestClient(harness.app) as ann, TestClient(harness.app) as bo:
        csrf = sign_in(ann, harness.tokens[Role.REVIEWER])
        task = _claim(ann, csrf)
        for _ in items:
            task = _decide(ann, task, csrf, then="next").url.path
        for item in items:
            open_appeal(harness.services, item, "", now=harness.services.clock())
        bo_csrf = sign_in(bo, _other_reviewer(harness))
        appeal = _claim(bo, bo_csrf, scope="appeals")
        for outcome in ("reversed", "upheld"):
            data = {"csrf_token": bo_csrf, "outcome": outcome, "reason_code": "manipulated_media"}
            appeal = bo.post(f"{appeal}/resolve", data={**data, "then": "next"}).url.path
        page = bo.get("/ui/dashboard").text
    overturn = page.split('data-metric="overturn_rate"')[1].split("</li>")[0]
    assert ">Overturn rate (of decided appeals)</h3>" in overturn
    assert '<span class="value">50.0%</span>' in overturn and "(n = 2)" in overturn
    appeal_rate = page.split('data-metric="appeal_rate"')[1].split("</li>")[0]
    assert '<span class="value">100%</span>' in appeal_rate
