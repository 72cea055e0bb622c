"""A reviewer's shift in a real browser, keyboard only: 20 mixed tasks in Chromium (Playwright)
on a served app (uvicorn, SQLite file, retained media).

The platform runs the shipped policy with two edits: declared-AI news is labelled when a
reviewer confirms it (the rule names ``violating_action: label``), and media whose uploader
denies AI goes to its own ``disclosure`` queue (violations removed, the platform's setting).
Waiting: 6 disclosure tasks, 12 news tasks (one in the wellness-blurred category
``elections``), an NCII takedown notice and an appeal against another reviewer's removal.

The reviewer signs in, chooses the disclosure queue with ``j`` and claims with ``c``, decides
each task and opens the next with ``Enter`` until the queue is empty; claims the rest from any
queue (the NCII notice first: removal is its only action); signs out mid-task and, signing in
again, is back on the task they hold; resolves the appeal, whose page shows the automated
decision, the first reviewer's verdict, action and reason, and the statement; and sees the
overturn on the dashboard as a percentage with its n. Every next page is checked for leaks of
the previous one (its item id, its media, its form state). Times are shown in the browser's
zone. With ``DEEPSCREEN_SCREENSHOTS=1`` the queue, a task, the appeal and the dashboard are
saved to docs/img/ for the README's "A reviewer's shift"."""

from __future__ import annotations

import io
import os
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from PIL import Image, PngImagePlugin

from deepscreen.api.serving import app_from_settings
from deepscreen.api.testing import A1111, CHEAP_HASHER
from deepscreen.bootstrap import build, build_hosted
from deepscreen.core.access import Role
from deepscreen.core.clock import system_clock
from deepscreen.core.decisions import Action
from deepscreen.core.events import (
    AppealResolved,
    NoticeType,
    ReviewCompleted,
    Verdict,
)
from deepscreen.service.appeals import open_appeal
from deepscreen.service.hosted import close_all
from deepscreen.service.keys import create_key, parse_token
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.service.scan import scan_bytes
from deepscreen.service.takedown import NoticeRequest, TakedownConfig, submit_notice
from deepscreen.settings import Settings, load_settings

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the Python playwright package is not installed"
)
CHROMIUM = Path(os.environ.get("DEEPSCREEN_TEST_CHROMIUM", "/usr/bin/chromium"))
if os.environ.get("CI"):
    assert CHROMIUM.is_file(), f"CI needs Chromium at {CHROMIUM} (apt-get install chromium)"
if not CHROMIUM.is_file():
    pytest.skip(
        f"no Chromium at {CHROMIUM} (set DEEPSCREEN_TEST_CHROMIUM)", allow_module_level=True
    )
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
expect = sync_api.expect
Page = sync_api.Page

SHIPPED = Path(__file__).parents[2] / "src" / "deepscreen" / "policies" / "default"
IMG = Path(__file__).parents[2] / "docs" / "img"
ZONE = "America/New_York"
STATEMENT = "This photo of me is real. I never <b>agreed</b> to it being changed."

pytestmark = pytest.mark.slow


def policy(directory: Path) -> Path:
    text = (SHIPPED / "policy.yaml").read_text()
    for rule, action in (
        ("review_declared_ai_contradicts_uploader", "{type: review, queue: disclosure}"),
        (
            "review_declared_ai_sensitive",
            "{type: review, queue: synthetic_media, violating_action: label}",
        ),
    ):
        head, rest = text.split(f"  - id: {rule}\n", 1)
        block, tail = rest.split("\n\n", 1)
        block = block.replace("{type: review, queue: synthetic_media}", action)
        text = f"{head}  - id: {rule}\n{block}\n\n{tail}"
    directory.mkdir()
    (directory / "policy.yaml").write_text(text)
    return directory


def picture(seed: int, ai: bool = True) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", (320, 200), (rng.randrange(256), rng.randrange(256), 160))
    for _ in range(6):
        x, y = rng.randrange(280), rng.randrange(160)
        image.paste(
            (rng.randrange(256), rng.randrange(256), rng.randrange(256)), (x, y, x + 40, y + 40)
        )
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def seed(tmp_path: Path) -> tuple[Settings, str]:
    settings = load_settings(
        db_url=f"sqlite:///{tmp_path / 'shift.db'}",
        policy_dir=str(policy(tmp_path / "policy")),
        review={"gold_share": 0, "wellness": {"blur_categories": ["elections"]}},
        media_store={"backend": "local", "path": str(tmp_path / "media")},
    )
    services, stores = build(settings), build_hosted(settings)
    try:
        keys = [
            create_key(
                stores.keys,
                stores.audit,
                role=Role.REVIEWER,
                name=name,
                actor="test",
                clock=system_clock,
                hasher=CHEAP_HASHER,
            ).token
            for name in ("ann", "bo")
        ]
        first = (parse_token(keys[1]) or ("", ""))[0]
        appealed = scan_bytes(
            services, picture(0), source="appealed.png", attributes={"category": "news"}
        ).item_id
        task = claim_next(services, first, now=system_clock(), rng=random.Random(0))
        assert task is not None and task.item_id == appealed
        decide(
            services,
            task.task_id,
            first,
            verdict=Verdict.VIOLATING,
            action=Action.REMOVE,
            reason_code="deepfake_of_real_person",
            label="deepfake",
            now=system_clock(),
        )
        open_appeal(services, appealed, STATEMENT, now=system_clock())
        for i in range(1, 7):
            attributes = {"category": "art", "ai_disclosure": "not_ai"}
            scan_bytes(services, picture(i), source=f"art{i}.png", attributes=attributes)
        for i in range(7, 19):
            category = "elections" if i == 12 else "news"
            scan_bytes(
                services, picture(i), source=f"news{i}.png", attributes={"category": category}
            )
        intimate = scan_bytes(services, picture(99, ai=False), source="private.png").item_id
        request = NoticeRequest(
            notice_type=NoticeType.NCII,
            item_id=intimate,
            good_faith=True,
            contact="requester@example.org",
            statement="An intimate picture of me, shared without consent.",
        )
        config = TakedownConfig.from_settings(settings.takedown.model_dump())
        assert submit_notice(services, config, request, now=system_clock()).task is not None
    finally:
        close_all(services, stores)
    return settings, keys[0]


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn on a free port; yields its base URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        app_from_settings(settings), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    for _ in range(600):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server did not stop"


@contextmanager
def chromium(problems: list[str]) -> Iterator[Page]:
    """A page in the reader's zone (``ZONE``, British English); console errors (a CSP
    violation is one) and page errors collected in ``problems``."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(
                viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=ZONE
            )
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            yield page
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    if os.environ.get("DEEPSCREEN_SCREENSHOTS") == "1":
        IMG.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(IMG / f"reviewer-shift-{name}.png"), full_page=True)


def press(page: Page, *keys: str) -> None:
    """Press ``keys`` once the page's deferred scripts have run (they bind the shortcuts)."""
    page.wait_for_load_state("domcontentloaded")
    for key in keys:
        page.keyboard.press(key)


def activate(page: Page, locator: sync_api.Locator) -> None:
    """What Tab … Enter does: focus the control, press Enter."""
    locator.focus()
    page.keyboard.press("Enter")


def sign_in(page: Page, token: str) -> None:
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # The key field has autofocus: wait for it (a loaded machine applies it after the heading
    # shows, and keys typed before then were lost), then type as a person would.
    expect(page.get_by_label("API key")).to_be_focused()
    page.keyboard.type(token)
    page.keyboard.press("Enter")


class Shift:
    """The tasks seen so far, to check that a page shows nothing of the previous one."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.previous: tuple[str, str] | None = None  # task id, item id
        self.seen: list[str] = []

    def on_task(self, heading: str = "Review task") -> tuple[str, str]:
        page = self.page
        if self.previous is not None:  # the key press navigates: wait until it has
            gone = f"/ui/tasks/{self.previous[0]}"
            page.wait_for_url(lambda url: "/ui/tasks/" in url and gone not in url)
        page.wait_for_load_state("domcontentloaded")
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        task_id = page.url.split("/ui/tasks/", 1)[1].split("?", 1)[0]
        item_id = page.locator("dd code.id").first.inner_text()
        assert task_id not in self.seen, "a task was served twice"
        if self.previous is not None:
            html = page.content()
            assert self.previous[0] not in html and self.previous[1] not in html
        for src in page.locator(".media-panel img, .media-panel video").evaluate_all(
            "els => els.map(e => e.getAttribute('src'))"
        ):
            assert f"/ui/tasks/{task_id}/" in src
        fresh = page.locator('#decide-form input[type="radio"]:checked').evaluate_all(
            "els => els.map(e => e.name)"
        )
        assert fresh in ([], ["action"]), f"form state carried over: {fresh}"
        if heading == "Review task":
            expect(page.locator("#label")).to_have_value("")
            expect(page.locator("#action-choices input").first).to_be_enabled()
        self.seen.append(task_id)
        self.previous = (task_id, item_id)
        return task_id, item_id


def local_words(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(ZoneInfo(ZONE))
    return f"{at:%a} {at.day} {at:%b}, {at:%H:%M}"


def test_a_keyboard_only_shift_of_twenty_mixed_tasks(tmp_path: Path) -> None:
    settings, token = seed(tmp_path)
    problems: list[str] = []
    with serving(settings) as base, chromium(problems) as page:
        shift = Shift(page)

        page.goto(f"{base}/ui/")
        sign_in(page, token)
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        now = page.locator("#claim-keys-help time")
        iso = now.get_attribute("datetime") or ""
        assert iso.endswith("+00:00")  # the ISO time stays in the attribute
        expect(now).to_have_text(
            re.compile(re.escape(local_words(iso)) + r" \((now|\d+ min ago)\)")
        )
        expect(page.locator("table.waiting tbody tr")).to_have_count(19)  # and 1 appeal
        shot(page, "queue")

        # ---- the disclosure queue, chosen with j, claimed with c, worked with Enter
        press(page, "j")
        expect(page.get_by_role("status")).to_have_text(
            "Queue disclosure: 6 open, 0 claimed, 0 overdue. Press c to claim."
        )
        expect(page.locator('tr[data-queue="disclosure"]')).to_have_class(re.compile("is-selected"))
        press(page, "c")
        expect(page.get_by_role("status")).to_have_text(re.compile("Task claimed"))
        for n in range(6):
            shift.on_task()
            expect(page.locator('input[name="queue"]')).to_have_value("disclosure")
            expect(page.locator("#action-remove")).to_be_checked()  # the platform's default
            if n == 1:
                press(page, "n", "5")  # not violating: no action
                expect(page.locator("#action-remove")).to_be_disabled()
            elif n == 2:
                press(page, "v", "l", "1")  # violating, labelled instead of removed
                expect(page.locator("#action-label")).to_be_checked()
            else:
                press(page, "v", "1")
            press(page, "Enter")
            if n < 5:
                expect(page.get_by_role("status")).to_have_text(
                    "Decision recorded. This is your next task."
                )
        expect(page.get_by_role("status")).to_have_text(
            "Decision recorded. No more tasks to claim in this queue right now."
        )

        # ---- any queue: the NCII notice comes first, removal its only action
        press(page, "c")
        shift.on_task()
        expect(page.get_by_role("heading", name="Takedown request")).to_be_visible()
        expect(page.locator('input[name="action"]')).to_have_count(1)
        expect(page.locator("#action-remove")).to_be_checked()
        press(page, "v", "2", "Enter")

        # ---- the news queue (any queue from here): label by default (the routing rule's)
        filtered_seen = False
        for n in range(12):
            task_id, _ = shift.on_task()
            expect(page.locator("#action-label")).to_be_checked()
            expect(page.locator("#action-help")).to_contain_text(
                "named by the routing rule review_declared_ai_sensitive"
            )
            if n == 0:
                lease = page.locator("#lease-until")
                expect(lease).to_have_text(
                    re.compile(re.escape(local_words(lease.get_attribute("datetime") or "")))
                )
                press(page, "v", "2")
                shot(page, "task")
            if page.locator("#media-reveal").count():  # the elections picture: blurred
                filtered_seen = True
                expect(page.locator("#media-reveal")).to_have_attribute("aria-pressed", "false")
                press(page, "b")
                expect(page.locator("#media-reveal")).to_have_attribute("aria-pressed", "true")
            elif filtered_seen:
                expect(page.locator(".wellness.is-revealed")).to_have_count(0)
            if n == 3:  # signed out mid-task; signing in again returns to the task held
                activate(page, page.get_by_role("button", name="Sign out"))
                expect(page.get_by_role("status")).to_have_text("You are signed out.")
                sign_in(page, token)
                expect(page.get_by_role("status")).to_have_text(
                    "Welcome back: this is the task you still hold."
                )
                assert task_id in page.url
                shift.seen.remove(task_id)
                shift.previous = None
                shift.on_task()
            if n == 7:  # submit and back to the queue, then claim again
                press(page, "v", "3")
                activate(page, page.get_by_role("button", name="Submit and back to queue"))
                expect(page.get_by_role("status")).to_have_text(
                    "Decision recorded. The task is done."
                )
                press(page, "c")
                continue
            press(page, "v", "2", "Enter")
        assert filtered_seen
        expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
        expect(page.get_by_role("status")).to_have_text(
            "Decision recorded. No more tasks to claim in this queue right now."
        )

        # ---- the appeal against the other reviewer's removal
        activate(page, page.get_by_role("link", name="Appeals"))
        expect(page.get_by_role("heading", name="Appeals")).to_be_visible()
        press(page, "c")
        shift.on_task("Appeal")
        facts = page.locator("#appeal-facts")
        expect(page.locator("#appeal-decision-action")).to_have_text("review")
        expect(page.locator("#appeal-decision-rule")).to_have_text("review_declared_ai_sensitive")
        expect(page.locator("#appeal-review-verdict")).to_have_text("violating")
        expect(page.locator("#appeal-review-action")).to_have_text("remove")
        expect(page.locator("#appeal-review-reason")).to_have_text("deepfake_of_real_person")
        expect(page.locator("#appeal-statement")).to_have_text(STATEMENT)  # as text, escaped
        expect(facts).to_contain_text("(pseudonym)")
        shot(page, "appeal")
        press(page, "r", "6", "Enter")
        expect(page.get_by_role("status")).to_have_text(
            "Appeal resolved. No more appeals you may take right now."
        )

        activate(page, page.get_by_role("link", name="Dashboard"))
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        overturn = page.locator('[data-metric="overturn_rate"] .figure')
        expect(overturn).to_have_text(re.compile(r"^100%\s+\(n = 1\)$"))
        expect(page.locator('[data-metric="labelled_items"] .value')).to_have_text("20")
        shot(page, "dashboard")

    assert problems == []
    _check_recorded(settings, token)


def _check_recorded(settings: Settings, token: str) -> None:
    reviewer = (parse_token(token) or ("", ""))[0]
    services = build(settings)
    try:
        events = list(services.store.read(kinds=["review_completed", "appeal_resolved"]))
    finally:
        services.store.close()
        if services.review_queue is not None:
            services.review_queue.close()
    mine = [e for e in events if isinstance(e, ReviewCompleted) and e.reviewer == reviewer]
    actions = sorted((e.verdict.value, e.action.value if e.action else "") for e in mine)
    assert len(mine) == 19
    assert actions.count(("not_violating", "allow")) == 1
    assert actions.count(("violating", "remove")) == 4 + 1  # disclosure default, the notice
    assert actions.count(("violating", "label")) == 1 + 12  # picked once, news default
    resolved = [e for e in events if isinstance(e, AppealResolved)]
    assert [e.outcome.value for e in resolved] == ["reversed"]
