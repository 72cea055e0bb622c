"""The compliance page in a real browser (Playwright on Chromium, as tests/e2e/test_web_ui.py):
an analyst signs in, follows the Compliance link and reads the takedown figures — one request
removed in time, one still open with its deadline, a copy removed at upload — with no console
error (the page runs under the UI's CSP) and nothing of the requesters' contact."""

from __future__ import annotations

import io
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import uvicorn
from PIL import Image

from deepscreen.api.serving import app_from_settings
from deepscreen.api.testing import CHEAP_HASHER
from deepscreen.bootstrap import build, build_hosted
from deepscreen.core.access import Role
from deepscreen.core.clock import system_clock
from deepscreen.core.events import NoticeType, Verdict
from deepscreen.service.hosted import close_all
from deepscreen.service.keys import create_key
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
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
CONTACT = "requester@example.org"

pytestmark = pytest.mark.slow


def picture(seed: int, size: tuple[int, int] = (320, 240)) -> bytes:
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize(size, Image.Resampling.BICUBIC).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[Settings, str]:
    """Two NCII notices: one removed (and a copy removed at upload), one still open."""
    settings = load_settings(
        db_url=f"sqlite:///{tmp_path / 'ui.db'}",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0},
    )
    services, stores = build(settings), build_hosted(settings)
    config = TakedownConfig()
    try:
        token = create_key(
            stores.keys,
            stores.audit,
            role=Role.ANALYST,
            name="e2e analyst",
            actor="test",
            clock=system_clock,
            hasher=CHEAP_HASHER,
        ).token
        items = [scan_bytes(services, picture(s), source=f"p{s}.png").item_id for s in (1, 2)]
        notices = [
            submit_notice(
                services,
                config,
                NoticeRequest(
                    notice_type=NoticeType.NCII,
                    item_id=item,
                    statement="mine, without consent",
                    contact=CONTACT,
                    good_faith=True,
                ),
                now=services.clock(),
            )
            for item in items
        ]
        now = services.clock()
        task = claim_next(services, "ann", now=now, rng=random.Random(0))
        assert task is not None
        decide(
            services, task.task_id, "ann", verdict=Verdict.VIOLATING,
            reason_code="deepfake_of_real_person", now=services.clock(),
        )  # fmt: skip
        removed = next(o for o in notices if o.task and o.task.task_id == task.task_id)
        copy_of = 1 if removed.notice.item_id == items[0] else 2
        copy = scan_bytes(services, picture(copy_of, (200, 150)), source="copy.png")
        assert copy.decision.rule_id == "remove_takedown_copy"
    finally:
        close_all(services, stores)
    return settings, token


@pytest.fixture
def server(seeded: tuple[Settings, str]) -> Iterator[tuple[str, str]]:
    settings, token = seeded
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
        yield f"http://127.0.0.1:{port}", token
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_an_analyst_reads_the_takedown_figures_in_chromium(
    server: tuple[str, str], tmp_path: Path
) -> None:
    base, token = server
    expect = sync_api.expect
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{base}/ui/")
            page.get_by_label("API key").fill(token)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("link", name="Compliance").click()
            expect(
                page.get_by_role("heading", name="Compliance: takedown requests")
            ).to_be_visible()
            share = page.locator('tr[data-metric="takedown_removed_within_deadline"] td').first
            expect(share).to_have_text("100%")
            requests = page.locator('tr[data-metric="takedown_requests"] td').first
            expect(requests).to_have_text("2")
            copies = page.locator('tr[data-metric="takedown_copies_removed"] td').first
            expect(copies).to_have_text("1")
            open_rows = page.get_by_role("region", name="Open requests").get_by_role("row")
            expect(open_rows).to_have_count(2)  # the header and the request still open
            expect(page.get_by_role("cell", name="at upload", exact=True)).to_be_visible()
            shot = tmp_path / "web_ui_compliance.png"
            page.screenshot(path=str(shot), full_page=True)
            assert CONTACT not in page.content()
        finally:
            browser.close()
    assert problems == []
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
