"""The reviewer UI in a real browser: a served app (uvicorn, SQLite file) with scanned images
waiting in review; Chromium, driven by Playwright, signs in, claims, decides with the keyboard
and sees the dashboard count the label."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from deepscreen.api.serving import app_from_settings
from deepscreen.api.testing import CHEAP_HASHER, png_bytes
from deepscreen.bootstrap import build, build_hosted
from deepscreen.core.access import Role
from deepscreen.core.clock import system_clock
from deepscreen.core.events import ReviewCompleted
from deepscreen.service.hosted import close_all
from deepscreen.service.keys import create_key, parse_token
from deepscreen.service.scan import scan_bytes
from deepscreen.settings import Settings, load_settings

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the Python playwright package is not installed"
)
CHROMIUM = Path(os.environ.get("DEEPSCREEN_TEST_CHROMIUM", "/usr/bin/chromium"))
if os.environ.get("CI"):  # .ci/run installs Debian's chromium: a missing browser must fail
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

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Settings, str]:
    """A SQLite store with three declared-AI news images waiting in review and a reviewer key."""
    settings = load_settings(db_url=f"sqlite:///{tmp_path / 'ui.db'}", review={"gold_share": 0})
    services, stores = build(settings), build_hosted(settings)
    try:
        token = create_key(
            stores.keys,
            stores.audit,
            role=Role.REVIEWER,
            name="e2e reviewer",
            actor="test",
            clock=system_clock,
            hasher=CHEAP_HASHER,
        ).token
        for i in range(3):
            outcome = scan_bytes(
                services,
                png_bytes((30 + 50 * i, 90, 160)),
                source=f"upload{i}.png",
                attributes={"category": "news"},
            )
            assert outcome.decision.action.value == "review"
    finally:
        close_all(services, stores)
    return settings, token


@pytest.fixture
def server(seeded: tuple[Settings, str]) -> Iterator[tuple[str, str, Settings]]:
    settings, token = seeded
    app = app_from_settings(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    for _ in range(600):  # bounded wait for startup; nothing asserts how long it took
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}", token, settings
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server did not stop"


def _describe(message: sync_api.ConsoleMessage) -> str:
    return f"{message.text} at {message.location.get('url', '?')}"


def test_a_reviewer_works_the_queue_in_chromium(
    server: tuple[str, str, Settings], tmp_path: Path
) -> None:
    base, token, settings = server
    expect = sync_api.expect
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(_describe(m)))
            page.on("pageerror", lambda e: problems.append(str(e)))

            page.goto(f"{base}/ui/")
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            page.get_by_label("API key").fill(token)
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
            expect(page.get_by_role("rowheader", name="synthetic_media")).to_be_visible()

            page.get_by_role("link", name="Dashboard").click()
            labelled = page.locator('[data-metric="labelled_items"] .value')
            expect(labelled).to_have_text("0")

            page.get_by_role("link", name="Queue").click()
            queue_shot = tmp_path / "web_ui_queue.png"
            page.screenshot(path=str(queue_shot), full_page=True)
            page.get_by_role("button", name="Claim next task").click()
            expect(page.get_by_role("heading", name="Review task")).to_be_visible()
            expect(page.locator("#lease-left")).to_contain_text("min")  # the script runs

            page.keyboard.press("v")
            page.keyboard.press("2")
            expect(page.locator("#verdict-violating")).to_be_checked()
            expect(page.locator("#reason-2")).to_be_checked()
            task_shot = tmp_path / "web_ui_task.png"
            page.screenshot(path=str(task_shot), full_page=True)
            page.keyboard.press("Enter")  # decide and open the next task

            expect(page.get_by_role("status")).to_have_text(
                "Decision recorded. This is your next task."
            )
            expect(page.get_by_role("heading", name="Review task")).to_be_visible()
            page.get_by_role("link", name="Dashboard").click()
            expect(labelled).to_have_text("1")
            dashboard_shot = tmp_path / "web_ui_dashboard.png"
            page.screenshot(path=str(dashboard_shot), full_page=True)
        finally:
            browser.close()

    assert problems == []
    for shot in (queue_shot, task_shot, dashboard_shot):
        assert shot.is_file() and shot.stat().st_size > 0
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    reviewer = (parse_token(token) or ("", ""))[0]
    services = build(settings)
    try:
        reviews = list(services.store.read(kinds=["review_completed"]))
    finally:
        services.store.close()
        if services.review_queue is not None:
            services.review_queue.close()
    assert len(reviews) == 1
    review = reviews[0]
    assert isinstance(review, ReviewCompleted) and review.reviewer == reviewer
    assert (review.verdict.value, review.reason_code) == ("violating", "deepfake_of_real_person")
