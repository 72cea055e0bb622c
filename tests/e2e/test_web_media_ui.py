"""Media for reviewers in a real browser: a served app (uvicorn, SQLite file, a local retained-
media directory) with a declared-AI news picture waiting in review; Chromium, driven by
Playwright, claims it and sees the picture blurred by the wellness filter for its category,
reveals it with the key, finds it filtered again after a reload, turns the blur off in the
preferences — which persist across reloads — and decides with the keyboard, the decision
carrying nothing of the filters. A video task plays its retained clip beside the sampled
frames. Without a console error (a CSP violation is one).

With ``DEEPSCREEN_SCREENSHOTS=1`` the filtered task page is saved to
docs/img/reviewer-task-media.png for the README."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import uvicorn
from PIL import Image, ImageDraw, PngImagePlugin

from deepscreen.api.serving import app_from_settings
from deepscreen.api.testing import A1111, CHEAP_HASHER
from deepscreen.bootstrap import build, build_hosted
from deepscreen.core.access import Role
from deepscreen.core.clock import system_clock
from deepscreen.core.events import ReviewCompleted
from deepscreen.service.hosted import close_all
from deepscreen.service.keys import create_key
from deepscreen.service.media_testing import mp4, with_video_stand_ins
from deepscreen.service.scan import scan_bytes
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
SCREENSHOT = Path(__file__).parents[2] / "docs" / "img" / "reviewer-task-media.png"
BLURRED = "blur(28px)"

pytestmark = pytest.mark.slow


def picture() -> bytes:
    """A 480×320 picture with something to see, carrying AI generator metadata."""
    image = Image.new("RGB", (480, 320), (70, 120, 170))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle((0, 200 + 10 * i, 480, 210 + 10 * i), fill=(60 + 8 * i, 140, 60))
    draw.ellipse((330, 40, 410, 120), fill=(250, 210, 60))
    draw.ellipse((150, 110, 230, 190), fill=(230, 190, 160))
    draw.rectangle((170, 190, 210, 290), fill=(40, 60, 120))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Settings, str]:
    settings = load_settings(
        db_url=f"sqlite:///{tmp_path / 'ui.db'}",
        review={"gold_share": 0, "wellness": {"blur_categories": ["news"]}},
        media_store={"backend": "local", "path": str(tmp_path / "media")},
    )
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
        outcome = scan_bytes(
            services, picture(), source="upload.png", attributes={"category": "news"}
        )
        assert outcome.decision.action.value == "review" and outcome.media_error is None
    finally:
        close_all(services, stores)
    return settings, token


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The app of ``settings`` served by uvicorn on a free port; yields its base URL."""
    app = app_from_settings(settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
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


@pytest.fixture
def server(seeded: tuple[Settings, str]) -> Iterator[tuple[str, str, Settings]]:
    settings, token = seeded
    with serving(settings) as base:
        yield base, token, settings


@contextmanager
def chromium(problems: list[str]) -> Iterator[sync_api.Page]:
    """A Chromium page; console errors (a CSP violation is one) and page errors collected."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            yield page
        finally:
            browser.close()


def sign_in_and_claim(page: sync_api.Page, base: str, token: str) -> None:
    page.goto(f"{base}/ui/")
    page.get_by_label("API key").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Claim next task").click()
    sync_api.expect(page.get_by_role("heading", name="Review task")).to_be_visible()


def test_media_is_shown_filtered_revealed_and_preferences_persist(
    server: tuple[str, str, Settings],
) -> None:
    base, token, settings = server
    expect = sync_api.expect
    problems: list[str] = []
    with chromium(problems) as page:
        sign_in_and_claim(page, base, token)
        image = page.locator("#media-image")
        expect(image).to_be_visible()
        page.wait_for_function(
            "() => { const i = document.getElementById('media-image');"
            " return i.complete && i.naturalWidth === 480 && i.naturalHeight === 320; }"
        )
        assert BLURRED in _filter(page)
        expect(page.locator("#media-reveal")).to_have_attribute("aria-pressed", "false")
        if os.environ.get("DEEPSCREEN_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))

        page.keyboard.press("b")  # reveal
        expect(page.locator("#media-reveal")).to_have_attribute("aria-pressed", "true")
        assert _filter(page) == "none"
        page.keyboard.press("b")  # and filter again
        assert BLURRED in _filter(page)
        page.locator(".shield").click()  # a click on the media reveals it too
        assert _filter(page) == "none"

        page.reload()  # a reveal lasts for the page only
        assert BLURRED in _filter(page)

        page.get_by_text("Wellness filters: your preferences").click()
        page.get_by_label("Blur", exact=True).select_option("never")
        page.get_by_role("button", name="Save my preferences").click()
        expect(page.get_by_role("heading", name="Review task")).to_be_visible()
        assert BLURRED not in _filter(page)
        page.reload()  # kept on the server for this reviewer
        assert BLURRED not in _filter(page)
        expect(page.locator("#pref-blur")).to_have_value("never")

        page.keyboard.press("v")
        page.keyboard.press("2")
        with page.expect_request(lambda r: r.method == "POST" and "/decide" in r.url) as sent:
            page.keyboard.press("Enter")
        posted = sent.value.post_data or ""
        expect(page.get_by_role("status")).to_have_text(
            "Decision recorded. No more tasks to claim in this queue right now."
        )

    assert problems == []
    fields = parse_qs(posted, keep_blank_values=True)
    # the decision and where to go next ("then": the next task); no filter state
    assert set(fields) == {
        "csrf_token",
        "queue",
        "verdict",
        "action",
        "reason_code",
        "label",
        "then",
    }
    services = build(settings)
    try:
        reviews = list(services.store.read(kinds=["review_completed"]))
    finally:
        services.store.close()
        if services.review_queue is not None:
            services.review_queue.close()
    assert len(reviews) == 1 and isinstance(reviews[0], ReviewCompleted)
    assert reviews[0].verdict.value == "violating"


def _filter(page: sync_api.Page) -> str:
    return str(page.eval_on_selector("#media-image", "e => getComputedStyle(e).filter"))


def test_a_video_plays_beside_its_sampled_frames(tmp_path: Path) -> None:
    """The player loads the retained clip (allowed by the CSP's media-src 'self'), the frames
    the detectors sampled load with the one that drove the score marked; both filtered."""
    settings = load_settings(
        db_url=f"sqlite:///{tmp_path / 'video.db'}",
        review={"gold_share": 0, "wellness": {"greyscale_categories": ["news"]}},
        media_store={"backend": "local", "path": str(tmp_path / "media")},
    )
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
        outcome = scan_bytes(
            with_video_stand_ins(services),
            mp4(),
            source="clip.mp4",
            attributes={"category": "news"},
        )
        assert outcome.decision.action.value == "review"
    finally:
        close_all(services, stores)
    problems: list[str] = []
    with serving(settings) as base, chromium(problems) as page:
        sign_in_and_claim(page, base, token)
        page.wait_for_function(
            "() => { const v = document.getElementById('media-video');"
            " return v.readyState >= 1 && v.duration > 2.5 && v.videoWidth === 96; }"
        )
        frames = page.locator(".frames img")
        sync_api.expect(frames).to_have_count(3)
        page.wait_for_function(
            "() => [...document.querySelectorAll('.frames img')]"
            ".every(i => i.complete && i.naturalWidth === 96)"
        )
        sync_api.expect(page.locator(".frame.drove")).to_contain_text("drove learned")
        grey = page.eval_on_selector("#media-video", "e => getComputedStyle(e).filter")
        assert "grayscale(1)" in grey
        page.keyboard.press("b")
        assert page.eval_on_selector("#media-video", "e => getComputedStyle(e).filter") == "none"
    assert problems == []
