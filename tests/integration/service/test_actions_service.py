"""The action feed over the use cases that write what it reads, on in-memory stores and a
SQLite file: scans (policy), a review, a takedown's removal and its swept copy, an appeal's
restoration and an upheld appeal, an imported label (skipped); then cursor paging with
appends between pages — no change twice, none missed."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import AppealOutcome, NoticeType, Verdict
from deepscreen.review.pseudonym import pseudonym
from deepscreen.service import Services, record_ground_truth, record_views, scan_bytes
from deepscreen.service.actions import ActionChange, ChangeSource, action_page
from deepscreen.service.appeals import open_appeal, resolve_appeal
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.service.takedown import NoticeRequest, TakedownConfig, submit_notice
from deepscreen.settings import load_settings

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
H = timedelta(hours=1)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NO_GOLD = random.Random(0)
SECRET = "s3"


@pytest.fixture(params=["memory", "sqlite"])
def svc(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'feed.db'}"
    settings = load_settings(
        None,
        db_url=url,
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0, "pseudonym_secret": SECRET},
    )
    ids = count()
    services = build(settings, clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}")
    yield services
    services.store.close()
    if services.review_queue is not None:
        services.review_queue.close()


def picture(seed: int, *, size: tuple[int, int] = (320, 240), fmt: str = "PNG", **save) -> bytes:
    """Smooth random blobs: a PDQ quality high enough for the takedown bank."""
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize(size, Image.Resampling.BICUBIC).save(buffer, fmt, **save)
    return buffer.getvalue()


def declared_ai(svc: Services, colour: int, category: str) -> str:
    """Declared-AI media: the shipped policy labels `art` and sends `news` to review."""
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (colour, 9, 9)).save(buffer, "PNG", pnginfo=info)
    outcome = scan_bytes(svc, buffer.getvalue(), source="x.png", attributes={"category": category})
    return outcome.item_id


def plain(svc: Services, colour: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (9, colour, 9)).save(buffer, "PNG")
    return scan_bytes(svc, buffer.getvalue(), source=f"p{colour}.png").item_id


def decide_next(svc: Services, reviewer: str, verdict: Verdict, at: datetime, **kw) -> None:
    task = claim_next(svc, reviewer, now=at, rng=NO_GOLD, **kw)
    assert task is not None
    decide(svc, task.task_id, reviewer, verdict=verdict, reason_code="manipulated_media", now=at)


def resolve_next(svc: Services, item_id: str, outcome: AppealOutcome, at: datetime) -> None:
    task = open_appeal(svc, item_id, "it is my own", now=at)
    assert claim_next(svc, "cy", now=at, rng=NO_GOLD, queues=["appeals"]) is not None
    resolve_appeal(
        svc, task.task_id, "cy", outcome=outcome, reason_code="new_context_from_appeal", now=at
    )


def feed(svc: Services, after: int = 0) -> list[ActionChange]:
    return action_page(svc, after=after, limit=1000).changes


def test_every_source_is_announced_in_the_order_recorded(svc: Services) -> None:
    original = scan_bytes(svc, picture(9), source="post.png").item_id
    copy = scan_bytes(svc, picture(9, size=(256, 192), fmt="JPEG", quality=80), source="c.jpg")
    routed = declared_ai(svc, 1, "news")
    decide_next(svc, "ann", Verdict.NOT_VIOLATING, T0 + H)  # the routed item is cleared
    record_ground_truth(  # imported truth: no action, not on the feed
        svc, [(original, T0 + H, True, "deepfake")], reviewer="label-import:t.csv", reason_code="x"
    )
    record_views(svc, [(original, T0 + H, 40)])
    notice = submit_notice(
        svc,
        TakedownConfig(),
        NoticeRequest(
            notice_type=NoticeType.NCII,
            item_id=original,
            statement="an intimate image of me",
            contact="me@example.org",
            good_faith=True,
        ),
        now=T0 + 2 * H,
    )
    decide_next(svc, "bo", Verdict.VIOLATING, T0 + 3 * H)  # removal, then the sweep
    confirmed = declared_ai(svc, 2, "news")
    decide_next(svc, "ann", Verdict.VIOLATING, T0 + 4 * H)
    resolve_next(svc, confirmed, AppealOutcome.REVERSED, T0 + 5 * H)
    labelled = declared_ai(svc, 3, "art")
    resolve_next(svc, labelled, AppealOutcome.UPHELD, T0 + 6 * H)

    changes = feed(svc)
    seen = [(c.item_id, c.source.value, c.action.value) for c in changes]
    assert seen == [
        (original, "policy", "allow"),
        (copy.item_id, "policy", "allow"),
        (routed, "policy", "review"),
        (routed, "review", "allow"),
        (original, "takedown", "remove"),
        (copy.item_id, "takedown_copy", "remove"),
        (confirmed, "policy", "review"),
        (confirmed, "review", svc.review.violating_action.value),
        (confirmed, "appeal", "allow"),
        (labelled, "policy", "label"),
        (labelled, "appeal", "label"),
    ]
    by_source = {c.source: c for c in changes}
    takedown = by_source[ChangeSource.TAKEDOWN]
    assert takedown.notice_id == notice.notice.notice_id and takedown.verdict is Verdict.VIOLATING
    assert takedown.reviewer == pseudonym("bo", SECRET.encode())  # never the name
    swept = by_source[ChangeSource.TAKEDOWN_COPY]
    assert (swept.notice_id, swept.copy_of) == (notice.notice.notice_id, original)
    assert swept.reviewer == "deepscreen:takedown-sweep"
    assert changes[3].reviewer == pseudonym("ann", SECRET.encode())
    assert changes[3].verdict is Verdict.NOT_VIOLATING and changes[3].notice_id is None
    assert changes[-1].appeal_outcome is AppealOutcome.UPHELD
    assert changes[-3].decision_id == changes[-5].decision_id  # the restoration undoes it
    seqs = [c.seq for c in changes]
    assert seqs == sorted(set(seqs))
    # a page starting after the request still names it (the item's history is read)
    after_notice = [c for c in feed(svc, after=changes[3].seq) if c.item_id == original]
    assert [(c.source, c.notice_id) for c in after_notice] == [
        (ChangeSource.TAKEDOWN, notice.notice.notice_id)
    ]


def test_pages_miss_nothing_and_repeat_nothing_with_appends_between(svc: Services) -> None:
    for colour in range(3):
        plain(svc, colour)
    collected: list[ActionChange] = []
    after, appended = 0, 3
    for _ in range(50):  # a cursor that does not move fails, not hangs
        page = action_page(svc, after=after, limit=2)
        assert all(c.seq > after for c in page.changes)
        collected += page.changes
        after = page.next_after
        if appended < 9:  # another writer appends between pages
            plain(svc, appended)
            record_ground_truth(
                svc, [("sha256:none", T0, False, "")], reviewer="label-import:t", reason_code="x"
            )
            appended += 1
        elif not page.has_more:
            break
    else:
        pytest.fail("the pages never ended")
    assert [c.seq for c in collected] == [c.seq for c in feed(svc)]
    assert collected == feed(svc)
    assert len(collected) == 9
    # the end of the log: nothing new, the same cursor
    last = action_page(svc, after=after, limit=2)
    assert (last.changes, last.next_after, last.has_more) == ([], after, False)


def test_a_full_page_points_at_its_last_change_and_a_short_one_past_skipped_events(
    svc: Services,
) -> None:
    items = [plain(svc, colour) for colour in range(3)]
    full = action_page(svc, after=0, limit=2)
    assert full.has_more and full.next_after == full.changes[-1].seq
    record_ground_truth(svc, [(items[0], T0, True, "")], reviewer="label-import:t", reason_code="x")
    rest = action_page(svc, after=full.next_after, limit=2)
    assert [c.item_id for c in rest.changes] == [items[2]] and not rest.has_more
    assert rest.next_after > rest.changes[-1].seq  # past the imported label, read once


def test_a_page_stops_at_its_read_budget_and_says_there_is_more(svc: Services) -> None:
    first = plain(svc, 1)
    labels = [(first, T0, True, "") for _ in range(5)]
    record_ground_truth(svc, labels, reviewer="label-import:t", reason_code="x")
    second = plain(svc, 2)
    page = action_page(svc, after=0, limit=10, examine_at_most=3)
    assert [c.item_id for c in page.changes] == [first] and page.has_more
    rest = action_page(svc, after=page.next_after, limit=10, examine_at_most=3)
    assert rest.changes == [] and rest.has_more
    end = action_page(svc, after=rest.next_after, limit=10, examine_at_most=3)
    assert [c.item_id for c in end.changes] == [second] and not end.has_more


@pytest.mark.parametrize(
    ("after", "limit", "message"),
    [(-1, 10, "after must lie"), (0, 0, "limit must lie"), (0, 1001, "limit must lie")],
)
def test_a_cursor_or_limit_out_of_range_is_refused(
    svc: Services, after: int, limit: int, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        action_page(svc, after=after, limit=limit)


def test_a_review_without_an_action_or_by_label_import_changes_nothing(svc: Services) -> None:
    item = plain(svc, 4)
    record_ground_truth(svc, [(item, T0, True, "")], reviewer="a-person", reason_code="x")
    assert [(c.source, c.action) for c in feed(svc)] == [(ChangeSource.POLICY, Action.ALLOW)]
