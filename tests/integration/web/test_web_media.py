"""Media on the reviewer UI's task pages, through a ``TestClient``: served only to the reviewer
holding the task, with the type sniffed from the bytes and no-store caching, under the UI's
CSP; a page that says why there is no media; videos with their sampled frames and face boxes;
wellness filters and per-reviewer preferences that never reach the decision."""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from deepscreen.api.testing import CHEAP_HASHER, ApiHarness, TestClient, api_harness, png_bytes
from deepscreen.api.web.testing import sign_in
from deepscreen.core.access import Role
from deepscreen.core.clock import ManualClock
from deepscreen.core.events import ReviewCompleted
from deepscreen.service.keys import create_key, parse_token
from deepscreen.service.media_frames import BOX_COLOUR
from deepscreen.service.media_testing import mp4, with_video_stand_ins
from deepscreen.service.scan import scan_bytes
from deepscreen.settings import Settings

NEWS = {"category": "news"}  # declared-AI news: sent to review


def _harness(tmp_path: Path | None, clock: ManualClock | None = None, **review: Any) -> ApiHarness:
    media = {"backend": "local", "path": str(tmp_path / "media")} if tmp_path else {}
    settings = Settings(
        db_url="memory://",
        review={"gold_share": 0.0, **review},
        media_store=media or {"backend": "off"},
    )
    return api_harness(settings=settings, **({"clock": clock} if clock else {}))


def _claim(client: TestClient, csrf: str) -> str:
    response = client.post("/ui/claim", data={"csrf_token": csrf, "scope": "review"})
    assert response.status_code == 200 and "/ui/tasks/" in response.url.path, response.url
    return response.url.path


def _second_reviewer(harness: ApiHarness) -> str:
    return create_key(
        harness.stores.keys,
        harness.stores.audit,
        role=Role.REVIEWER,
        name="second reviewer",
        actor="test",
        clock=harness.services.clock,
        hasher=CHEAP_HASHER,
    ).token


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[ApiHarness]:
    harness = _harness(tmp_path, wellness={"blur_categories": ["news"]})
    # PNG bytes under a name that claims another type: the name is never trusted
    scan_bytes(harness.services, png_bytes((200, 10, 10)), source="upload.gif", attributes=NEWS)
    yield harness
    harness.close()


def test_the_holder_gets_the_media_as_sniffed_with_no_store_under_the_csp(
    harness: ApiHarness,
) -> None:
    with TestClient(harness.app) as client:
        task = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
        page = client.get(task).text
        response = client.get(f"{task}/media")
    assert f'<img class="media-content" id="media-image" src="{task}/media"' in page
    assert response.status_code == 200 and response.content == png_bytes((200, 10, 10))
    headers = response.headers
    assert headers["content-type"] == "image/png"
    assert headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    csp = headers["content-security-policy"]
    assert "img-src 'self'" in csp and "media-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe" not in csp and "*" not in csp and "data:" not in csp


def test_a_byte_range_is_served_for_the_video_player(harness: ApiHarness) -> None:
    with TestClient(harness.app) as client:
        task = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
        part = client.get(f"{task}/media", headers={"Range": "bytes=0-7"})
        tail = client.get(f"{task}/media", headers={"Range": "bytes=-4"})
        beyond = client.get(f"{task}/media", headers={"Range": "bytes=99999-"})
    size = len(png_bytes((200, 10, 10)))
    assert part.status_code == 206 and part.content == b"\x89PNG\r\n\x1a\n"
    assert part.headers["content-range"] == f"bytes 0-7/{size}"
    assert tail.status_code == 206 and tail.content == png_bytes((200, 10, 10))[-4:]
    assert beyond.status_code == 416 and part.headers["cache-control"] == "no-store"


def test_another_reviewer_gets_nothing_of_a_task_they_do_not_hold(harness: ApiHarness) -> None:
    with TestClient(harness.app) as ann, TestClient(harness.app) as bo:
        task = _claim(ann, sign_in(ann, harness.tokens[Role.REVIEWER]))
        sign_in(bo, _second_reviewer(harness))
        refused = bo.get(f"{task}/media")
        frame = bo.get(f"{task}/media/frames/0")
        unknown = bo.get("/ui/tasks/review:nope/media")
    assert refused.status_code == 403 and "shown only to the reviewer holding it" in refused.text
    assert refused.content != png_bytes((200, 10, 10)) and b"PNG" not in refused.content
    assert frame.status_code == 403
    assert unknown.status_code == 404


def test_media_ends_with_the_lease(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 3, 1, 12, tzinfo=UTC))
    harness = _harness(tmp_path, clock=clock)
    try:
        scan_bytes(harness.services, png_bytes((1, 2, 3)), source="a.png", attributes=NEWS)
        with TestClient(harness.app) as client:
            task = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
            assert client.get(f"{task}/media").status_code == 200
            clock.set(clock.now + timedelta(minutes=16))  # the default lease is 15 minutes
            assert client.get(f"{task}/media").status_code == 403
    finally:
        harness.close()


def test_the_page_says_why_there_is_no_media(tmp_path: Path) -> None:
    off = _harness(None)
    on = _harness(tmp_path)
    try:
        for harness in (off, on):
            scan_bytes(harness.services, png_bytes((1, 2, 3)), source="a.png", attributes=NEWS)
        store = on.services.media.store
        assert store is not None
        item_id = next(store.records()).item_id
        store.delete(item_id, at=on.services.clock(), reason="erased on request")
        for harness, why in (
            (off, "The media itself is not retained: media retention is off"),
            (on, "The retained copy was deleted on"),
        ):
            with TestClient(harness.app) as client:
                task = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
                page = client.get(task).text
                media = client.get(f"{task}/media")
            assert why in page and 'id="media-absent"' in page and "<img" not in page
            assert media.status_code == 404 and why in media.text
    finally:
        off.close()
        on.close()


def _decide_form_fields(page: str) -> set[str]:
    form = re.search(r'<form id="decide-form".*?</form>', page, re.S)
    assert form is not None
    return set(re.findall(r'name="([^"]+)"', form.group(0)))


def test_wellness_filters_apply_by_category_and_preferences_persist(
    harness: ApiHarness,
) -> None:
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf)
        page = client.get(task).text
        assert 'class="wellness is-blurred"' in page and 'data-filtered="true"' in page
        assert "blur: on for category &#39;news&#39;" in page
        saved = client.post(
            "/ui/preferences/wellness",
            data={
                "csrf_token": csrf,
                "blur": "never",
                "greyscale": "always",
                "task_id": task.rsplit("/", 1)[1],
            },
        )
        assert saved.status_code == 200 and saved.url.path == task
        assert 'class="wellness is-greyscale"' in saved.text
        assert '<option value="never" selected>' in saved.text
        again = client.get(task).text  # kept on the server, not in the browser
        assert 'class="wellness is-greyscale"' in again
        fields = _decide_form_fields(again)
        # the decision and where to go next; no filter state
        assert fields == {
            "csrf_token",
            "queue",
            "verdict",
            "action",
            "reason_code",
            "label",
            "then",
        }
        bad = client.post(
            "/ui/preferences/wellness", data={"csrf_token": csrf, "blur": "x", "greyscale": "x"}
        )
        assert bad.status_code == 422
    key_id = (parse_token(harness.tokens[Role.REVIEWER]) or ("", ""))[0]
    assert harness.stores.preferences.get(key_id) == {
        "wellness": {"blur": "never", "greyscale": "always"}
    }
    with TestClient(harness.app) as other:  # another reviewer keeps the platform's defaults
        csrf = sign_in(other, _second_reviewer(harness))
        scan_bytes(harness.services, png_bytes((9, 9, 9)), source="b.png", attributes=NEWS)
        page = other.get(_claim(other, csrf)).text
        assert 'class="wellness is-blurred"' in page


def test_the_decision_records_nothing_of_the_filters(harness: ApiHarness) -> None:
    with TestClient(harness.app) as client:
        csrf = sign_in(client, harness.tokens[Role.REVIEWER])
        task = _claim(client, csrf)
        client.post(
            "/ui/preferences/wellness",
            data={"csrf_token": csrf, "blur": "always", "greyscale": "always"},
        )
        decided = client.post(
            f"{task}/decide",
            data={"csrf_token": csrf, "verdict": "violating", "reason_code": "manipulated_media"},
        )
        assert decided.status_code == 200
    reviews = list(harness.services.store.read(kinds=["review_completed"]))
    assert len(reviews) == 1 and isinstance(reviews[0], ReviewCompleted)
    recorded = repr(dataclasses.asdict(reviews[0])) + repr(harness.services.review_queue)
    audit = repr(harness.stores.audit.entries())
    for word in ("blur", "greyscale", "wellness", "reveal"):
        assert word not in recorded and word not in audit


def test_opting_out_can_be_forbidden(tmp_path: Path) -> None:
    harness = _harness(tmp_path, wellness={"blur_all": True, "allow_opt_out": False})
    try:
        scan_bytes(harness.services, png_bytes((1, 2, 3)), source="a.png", attributes=NEWS)
        with TestClient(harness.app) as client:
            csrf = sign_in(client, harness.tokens[Role.REVIEWER])
            page = client.get(_claim(client, csrf)).text
            assert '<option value="never"' not in page and "on for every item" in page
            refused = client.post(
                "/ui/preferences/wellness",
                data={"csrf_token": csrf, "blur": "never", "greyscale": "default"},
            )
            assert refused.status_code == 422 and "may not be turned off" in refused.text
    finally:
        harness.close()


# ------------------------------------------------------------------ video


def test_a_video_has_a_player_and_its_sampled_frames_with_face_boxes(tmp_path: Path) -> None:
    harness = _harness(tmp_path)
    try:
        data = mp4()
        outcome = scan_bytes(with_video_stand_ins(harness.services), data, source="clip.mp4")
        assert outcome.decision.action.value == "review"
        with TestClient(harness.app) as client:
            task = _claim(client, sign_in(client, harness.tokens[Role.REVIEWER]))
            page = client.get(task).text
            video = client.get(f"{task}/media")
            frame = client.get(f"{task}/media/frames/1000")
            unlisted = client.get(f"{task}/media/frames/1250")
    finally:
        harness.close()
    assert '<video class="media-content" id="media-video" controls' in page
    assert f'src="{task}/media/frames/0"' in page and f'src="{task}/media/frames/2000"' in page
    assert '<li class="frame drove">' in page and "drove learned" in page
    assert "1 face(s) · confidence 0.93" in page
    assert video.headers["content-type"] == "video/mp4" and video.content == data
    assert frame.headers["content-type"] == "image/png"
    assert frame.headers["cache-control"] == "no-store"
    image = Image.open(io.BytesIO(frame.content)).convert("RGB")
    assert image.size == (96, 96)
    assert image.getpixel((20, 40)) == BOX_COLOUR  # the face box's left edge
    assert image.getpixel((40, 40)) != BOX_COLOUR  # inside the box: the frame itself
    assert unlisted.status_code == 404  # only frames named in the evidence
