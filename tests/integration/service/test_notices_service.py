"""Notice and action: a user report is recorded and queues the item for a person, once; the
review is decided like any other and reaches the item table (in-memory stores)."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import NotFound
from deepscreen.core.events import NoticeReceived, Notifier, Verdict
from deepscreen.core.tasks import TaskKind
from deepscreen.service import Services, record_views, scan_bytes
from deepscreen.service.impact import store_items
from deepscreen.service.notices import NOTICES_QUEUE, receive_notice
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NO_GOLD = random.Random(0)


def services() -> Services:
    ids = count()
    settings = load_settings(
        None,
        db_url="memory://",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0, "pseudonym_secret": "s3"},
    )
    return build(
        settings, store=InMemoryEventStore(), clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}"
    )


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def notices(svc: Services, item_id: str) -> list[NoticeReceived]:
    return [e for e in svc.store.for_item(item_id) if isinstance(e, NoticeReceived)]


def test_a_notice_on_an_allowed_item_is_recorded_and_queues_it_for_review():
    svc = services()
    item = scan_bytes(svc, png((9, 9, 9)), source="plain.png", attributes={"category": "news"})
    assert item.decision.action.value == "allow"
    record_views(svc, [(item.item_id, T0 + timedelta(hours=12), 40)])
    at = T0 + timedelta(hours=20)
    outcome = receive_notice(svc, item.item_id, at=at)
    assert notices(svc, item.item_id) == [outcome.notice]
    assert (outcome.notice.occurred_at, outcome.notice.notifier) == (at, Notifier.USER)
    task = outcome.task
    assert task is not None
    assert (task.task_id, task.queue, task.kind) == (
        f"notice:{item.item_id}",
        NOTICES_QUEUE,
        TaskKind.REVIEW,
    )
    assert (task.created_at, task.due_at) == (at, at + timedelta(hours=24))
    assert task.decision_id == item.decision.decision_id
    # p = prior 0.5 × news 2.0 × 40 views so far ÷ 1 image minute
    assert task.priority == pytest.approx(40.0)
    assert task.payload["context"]["notice"]["received_at"] == at.isoformat()


def test_every_notice_is_recorded_but_an_item_is_queued_once():
    svc = services()
    item = scan_bytes(svc, png((9, 9, 9)), source="plain.png")
    first = receive_notice(svc, item.item_id, at=T0 + timedelta(hours=1))
    again = receive_notice(
        svc, item.item_id, at=T0 + timedelta(hours=2), notifier=Notifier.TRUSTED_FLAGGER
    )
    assert first.task is not None and again.task is None
    assert len(notices(svc, item.item_id)) == 2
    assert svc.review_queue is not None
    assert len(svc.review_queue.list_tasks()) == 1


def test_a_notice_on_an_item_waiting_for_review_adds_no_second_task():
    svc = services()
    item = scan_bytes(svc, png((1, 2, 3), A1111), source="a.png", attributes={"category": "news"})
    assert item.decision.action.value == "review"
    waiting = receive_notice(svc, item.item_id, at=T0 + timedelta(hours=1))
    assert waiting.task is None and len(notices(svc, item.item_id)) == 1
    claimed = claim_next(svc, "ann", now=T0 + timedelta(hours=2), rng=NO_GOLD)
    assert claimed is not None
    decide(
        svc,
        claimed.task_id,
        "ann",
        verdict=Verdict.NOT_VIOLATING,
        reason_code="authentic_media",
        now=T0 + timedelta(hours=2, minutes=2),
    )
    after = receive_notice(svc, item.item_id, at=T0 + timedelta(hours=3))
    assert after.task is not None  # the review is done: a new notice gets a person again


def test_a_notice_review_is_decided_like_any_other_and_reaches_the_item_table():
    svc = services()
    item = scan_bytes(svc, png((9, 9, 9)), source="plain.png")
    at = T0 + timedelta(hours=5)
    receive_notice(svc, item.item_id, at=at)
    claimed = claim_next(svc, "ann", now=at + timedelta(hours=1), rng=NO_GOLD)
    assert claimed is not None and claimed.item_id == item.item_id
    done = decide(
        svc,
        claimed.task_id,
        "ann",
        verdict=Verdict.VIOLATING,
        reason_code="ai_generated_undisclosed",
        now=at + timedelta(hours=1, minutes=2),
        label="ai_generated",
    )
    assert done.review is not None and done.review.action is not None
    assert done.review.action.value == "remove"
    [row] = store_items(svc).to_pylist()
    assert row["notice_at"] == at
    assert (row["violating"], row["label_source"]) == (True, "review")
    assert row["reviewed_at"] == at + timedelta(hours=1, minutes=2)


def test_a_notice_on_an_unknown_item_is_refused_and_nothing_is_recorded():
    svc = services()
    with pytest.raises(NotFound):
        receive_notice(svc, "sha256:" + "0" * 64, at=T0)
    assert list(svc.store.read(kinds=["notice_received"])) == []
