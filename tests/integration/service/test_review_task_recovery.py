"""Issue 17: a scan writes a ``review`` decision and its task in one transaction, on the scan
path and the batch writer (API worker, stream, backfill); a re-scan gives back the task a crash
of an older deepscreen lost (it wrote them in two transactions), routed as it was decided."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import TaskNotFound
from deepscreen.media import load_media
from deepscreen.review.routing import review_task_id
from deepscreen.scale.records import Decided
from deepscreen.scale.writer import Status, store_decided
from deepscreen.service import Services, decide, record_views, scan_bytes
from deepscreen.service.review_enqueue import enqueue_routed
from deepscreen.settings import load_settings
from deepscreen.store.events import sql as sql_module

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NEWS = {"category": "news"}  # declared-AI news: the shipped policy sends it to review


class Crash(Exception):
    """Stands for the process dying between the event rows and the task rows."""


@pytest.fixture(params=["memory", "sqlite-file"])
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Services:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'ds.db'}"
    ids = count()
    settings = load_settings(None, db_url=url, review={"gold_share": 0.0})
    return build(settings, clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}")


@pytest.fixture
def sqlite_services(tmp_path: Path) -> Services:
    ids = count()
    settings = load_settings(None, db_url=f"sqlite:///{tmp_path / 'ds.db'}")
    return build(settings, clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}")


def png(colour: tuple[int, int, int]) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def decided_the_old_way(svc: Services, data: bytes, item_id: str | None = None) -> Any:
    """What deepscreen before issue 17 left when killed between its two writes: the decision
    stored (first transaction), its review task never enqueued (the second)."""
    item = load_media(data, source="x.png", limits=svc.limits, item_id=item_id, attributes=NEWS)
    events, decision, _, _ = decide(svc, item)
    assert decision.action is Action.REVIEW
    assert svc.store.record_item(events) is True
    return decision


def test_a_scan_writes_the_review_decision_with_its_task(services: Services) -> None:
    outcome = scan_bytes(services, png((1, 2, 3)), source="a.png", attributes=NEWS)
    assert outcome.decision.action is Action.REVIEW
    assert services.review_queue is not None
    task = services.review_queue.get(review_task_id(outcome.decision.decision_id))
    assert task.created_at == outcome.decision.decided_at
    assert task.queue == outcome.decision.action_params["queue"]


def test_a_crash_in_the_scan_write_stores_neither_and_a_rescan_stores_both(
    sqlite_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, data = sqlite_services, png((1, 2, 3))

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise Crash("killed between the decision and its task")

    with monkeypatch.context() as patch:
        patch.setattr(sql_module, "insert_new_tasks", crash)
        with pytest.raises(Crash):
            scan_bytes(svc, data, source="a.png", attributes=NEWS)
    assert svc.store.decisions() == []
    outcome = scan_bytes(svc, data, source="a.png", attributes=NEWS)
    assert not outcome.already_stored
    assert svc.review_queue is not None
    assert svc.review_queue.get(review_task_id(outcome.decision.decision_id))


def test_a_rescan_restores_the_task_an_old_crash_lost(services: Services) -> None:
    data = png((4, 5, 6))
    decision = decided_the_old_way(services, data)
    assert services.review_queue is not None
    with pytest.raises(TaskNotFound):
        services.review_queue.get(review_task_id(decision.decision_id))
    again = scan_bytes(services, data, source="x.png", attributes=NEWS)
    assert again.already_stored and again.review_task_restored
    assert again.decision == decision
    task = services.review_queue.get(review_task_id(decision.decision_id))
    assert (task.created_at, task.decision_id) == (decision.decided_at, decision.decision_id)
    third = scan_bytes(services, data, source="x.png", attributes=NEWS)
    assert third.already_stored and not third.review_task_restored
    assert len(services.review_queue.list_tasks()) == 1


def test_the_task_routed_before_the_write_is_the_one_enqueued_after_it(
    services: Services,
) -> None:
    """Views recorded before the item is ingested count towards its priority, as they did when
    the task was routed after the write (``enqueue_routed``, the old path)."""
    record_views(services, [("u-1", T0 - timedelta(hours=1), 700)])
    outcome = scan_bytes(services, png((7, 8, 9)), source="a.png", item_id="u-1", attributes=NEWS)
    assert services.review_queue is not None and services.review is not None
    stored = services.review_queue.get(review_task_id(outcome.decision.decision_id))
    old = enqueue_routed(
        services.review_queue,
        services.review,
        services.store,
        outcome.decision,
        now=outcome.decision.decided_at,
    )
    assert old is not None
    inputs = stored.payload["priority_inputs"]
    assert (inputs["predicted_views"], inputs["views_observed"]) == (700.0, True)
    assert (stored.priority, stored.due_at, dict(stored.payload)) == (
        old.priority,
        old.due_at,
        dict(old.payload),
    )


def decided_record(svc: Services, data: bytes, item_id: str) -> Decided:
    item = load_media(
        data, source=f"{item_id}.png", limits=svc.limits, item_id=item_id, attributes=NEWS
    )
    events, _, _, _ = decide(svc, item)
    return Decided(item.source, item.item_id, tuple(events))


def test_the_batch_writer_stores_decisions_and_tasks_in_one_transaction(
    sqlite_services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = sqlite_services
    batch = [decided_record(svc, png((i, i, i)), f"item-{i}") for i in range(3)]

    def crash(*_args: Any, **_kwargs: Any) -> int:
        raise Crash("killed between the decisions and their tasks")

    with monkeypatch.context() as patch:
        patch.setattr(sql_module, "insert_new_tasks", crash)
        with pytest.raises(Crash):
            store_decided(svc, batch)
    assert svc.store.decisions() == []
    written = store_decided(svc, batch)
    assert [w.status for w in written] == [Status.STORED] * 3
    assert svc.review_queue is not None
    assert len(svc.review_queue.list_tasks()) == 3


def test_the_batch_writer_restores_a_lost_task_of_an_item_already_stored(
    services: Services,
) -> None:
    data = png((9, 9, 9))
    decision = decided_the_old_way(services, data, item_id="item-9")
    written = store_decided(services, [decided_record(services, data, "item-9")])
    assert [w.status for w in written] == [Status.ALREADY_STORED]
    assert services.review_queue is not None
    task = services.review_queue.get(review_task_id(decision.decision_id))
    assert task.created_at == decision.decided_at
