"""Media retained for reviewers: kept at scan time for items sent to review or actioned (never
for allowed ones), never at the cost of the item's events; purged when retention ends (but
not while a task of the item is open), deleted when an appeal restores the item or on request;
never read by an export or report."""

from __future__ import annotations

import ast
import dataclasses
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import ConfigError, NotFound, StoreUnavailable, UrlRefused
from deepscreen.core.events import AppealOutcome, Verdict
from deepscreen.service import Services, scan_bytes
from deepscreen.service.appeals import open_appeal, resolve_appeal
from deepscreen.service.media import (
    EXPIRED,
    RESTORED,
    ReviewMedia,
    read_copy,
    retain_bytes,
)
from deepscreen.service.media_purge import delete_media, media_status, purge_media
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.media.memory import InMemoryMediaStore
from deepscreen.store.media.ports import MediaGone, MediaStore, RetainedMedia

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
RNG = random.Random(0)
SRC = Path(__file__).parents[3] / "src" / "deepscreen"


def png(colour: tuple[int, int, int], ai: bool = True) -> bytes:
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def services(store: MediaStore | None = None, days: float = 30) -> tuple[Services, ManualClock]:
    ids = count()
    clock = ManualClock(T0)
    settings = load_settings(None, db_url="memory://", review={"gold_share": 0.0})
    svc = build(settings, store=InMemoryEventStore(), clock=clock, new_id=lambda: f"d{next(ids)}")
    media = ReviewMedia(store=store or InMemoryMediaStore(), retention=days * DAY)
    return dataclasses.replace(svc, media=media), clock


def scan(svc: Services, colour: tuple[int, int, int], category: str, ai: bool = True) -> str:
    data = png(colour, ai)
    return scan_bytes(svc, data, source="x.png", attributes={"category": category}).item_id


def test_review_and_enforced_items_are_kept_allowed_ones_are_not() -> None:
    svc, _ = services()
    review = scan(svc, (1, 1, 1), "news")  # declared AI, sensitive: review
    labelled = scan(svc, (2, 2, 2), "art")  # declared AI: label
    allowed = scan(svc, (3, 3, 3), "art", ai=False)
    decisions = {i: svc.store.latest_decision(i) for i in (review, labelled, allowed)}
    actions = {i: d.action.value for i, d in decisions.items() if d is not None}
    assert actions == {review: "review", labelled: "label", allowed: "allow"}
    store = svc.media.store
    assert store is not None
    kept = store.get(review)
    assert kept is not None and kept[1] == png((1, 1, 1))
    record = kept[0]
    assert (record.mime, record.stored_at, record.expires_at) == ("image/png", T0, T0 + 30 * DAY)
    assert store.info(labelled) is not None
    assert store.info(allowed) is None
    assert sorted(m.item_id for m in store.records()) == sorted([review, labelled])


class BrokenStore(InMemoryMediaStore):
    def put(self, media: RetainedMedia, data: bytes) -> None:
        raise StoreUnavailable("media store /srv/media: disk full")


def test_a_failure_to_keep_media_is_logged_and_never_loses_the_item(
    caplog: pytest.LogCaptureFixture,
) -> None:
    svc, _ = services(store=BrokenStore())
    outcome = scan_bytes(svc, png((1, 1, 1)), source="x.png", attributes={"category": "news"})
    assert outcome.media_error is not None and "disk full" in outcome.media_error
    assert "could not retain the media" in caplog.text
    kinds = [type(e).__name__ for e in svc.store.for_item(outcome.item_id)]
    assert kinds == ["ItemIngested", "SignalsComputed", "DecisionMade"]
    assert svc.review_queue is not None
    assert [t.item_id for t in svc.review_queue.list_tasks()] == [outcome.item_id]


def test_a_rescan_keeps_a_copy_that_was_missing_but_not_one_deleted() -> None:
    svc, clock = services()
    store = svc.media.store
    assert store is not None
    item_id = scan(svc, (1, 1, 1), "news")
    store.delete(item_id, at=T0, reason="erased on request")
    clock.set(T0 + DAY)
    scan(svc, (1, 1, 1), "news")  # already stored: the deleted copy stays deleted
    assert isinstance(store.info(item_id), MediaGone)
    store.forget_notes(T0 + DAY)
    scan(svc, (1, 1, 1), "news")  # no copy, no note: kept again, retention from the decision
    again = store.info(item_id)
    assert isinstance(again, RetainedMedia) and again.expires_at == T0 + 30 * DAY


def test_purge_deletes_expired_copies_keeps_open_tasks_and_is_idempotent() -> None:
    svc, clock = services(days=2)
    held = scan(svc, (1, 1, 1), "news")  # review: its task stays open
    labelled = scan(svc, (2, 2, 2), "art")  # label: no task
    clock.set(T0 + DAY)
    first = purge_media(svc, now=clock.now)
    assert (first.kept, first.deleted_expired, first.held_for_open_tasks) == (2, 0, 0)

    clock.set(T0 + 3 * DAY)
    dry = purge_media(svc, now=clock.now, dry_run=True)
    assert (dry.deleted_expired, dry.held_for_open_tasks, dry.dry_run) == (1, 1, True)
    assert svc.media.store is not None and svc.media.store.info(labelled) is not None
    report = purge_media(svc, now=clock.now)
    assert (report.deleted_expired, report.held_for_open_tasks) == (1, 1)
    assert report.freed_bytes == len(png((2, 2, 2)))
    assert svc.media.store.info(labelled) == MediaGone(labelled, clock.now, EXPIRED)
    assert purge_media(svc, now=clock.now).deleted_expired == 0  # idempotent

    task = claim_next(svc, "ann", now=clock.now, rng=RNG)
    assert task is not None and task.item_id == held
    decide(
        svc,
        task.task_id,
        "ann",
        verdict=Verdict.NOT_VIOLATING,
        reason_code="satire_or_art",
        now=clock.now,
    )
    after = purge_media(svc, now=clock.now)
    assert (after.deleted_expired, after.held_for_open_tasks) == (1, 0)
    assert list(svc.media.store.records()) == []
    clock.set(clock.now + 3 * DAY)
    assert purge_media(svc, now=clock.now).notes_forgotten == 2  # notes go after a retention
    assert list(svc.media.store.notes()) == []


def test_a_reversed_appeal_deletes_the_copy_at_once() -> None:
    svc, clock = services()
    item_id = scan(svc, (2, 2, 2), "art")  # labelled
    task = open_appeal(svc, item_id, "I disclosed it myself", now=T0 + DAY)
    claim_next(svc, "bo", now=T0 + DAY, rng=RNG, queues=["appeals"])
    assert read_copy(svc.media, item_id).data == png((2, 2, 2))  # the appeal reviewer sees it
    resolve_appeal(
        svc,
        task.task_id,
        "bo",
        outcome=AppealOutcome.REVERSED,
        reason_code="disclosed_ai",
        now=T0 + DAY,
    )
    assert svc.media.store is not None
    assert svc.media.store.info(item_id) == MediaGone(item_id, T0 + DAY, RESTORED)
    with pytest.raises(NotFound, match="deleted on 2026-03-02 12:00 UTC: item restored"):
        read_copy(svc.media, item_id)


class ForgetfulStore(InMemoryMediaStore):
    def delete(self, item_id: str, *, at: datetime, reason: str) -> bool:
        raise StoreUnavailable("media store offline")


def test_a_restored_item_whose_copy_was_left_is_deleted_by_the_purge() -> None:
    store = ForgetfulStore()
    svc, clock = services(store=store)
    item_id = scan(svc, (2, 2, 2), "art")
    task = open_appeal(svc, item_id, "mine", now=T0)
    claim_next(svc, "bo", now=T0, rng=RNG, queues=["appeals"])
    resolve_appeal(
        svc, task.task_id, "bo", outcome=AppealOutcome.REVERSED, reason_code="disclosed_ai", now=T0
    )  # the deletion failed (logged); the resolution stands
    assert store.info(item_id) is not None
    healthy = InMemoryMediaStore()
    for media in store.records():
        kept = store.get(media.item_id)
        assert kept is not None
        healthy.put(*kept)
    svc = dataclasses.replace(svc, media=dataclasses.replace(svc.media, store=healthy))
    report = purge_media(svc, now=T0 + DAY)
    assert report.deleted_restored == 1 and healthy.info(item_id) == MediaGone(
        item_id, T0 + DAY, RESTORED
    )


def test_delete_on_request_status_and_bytes_kept_for_a_later_task() -> None:
    svc, clock = services()
    item_id = scan(svc, (1, 1, 1), "news")
    allowed = scan(svc, (3, 3, 3), "art", ai=False)
    status = media_status(svc, now=T0)
    assert (status.copies, status.open_tasks, status.open_tasks_without_copy) == (1, 1, 0)
    assert delete_media(svc, item_id, now=T0) and not delete_media(svc, item_id, now=T0)
    status = media_status(svc, now=T0)
    assert status.deleted_by_reason == {"erased on request": 1}
    assert status.open_tasks_without_copy == 1  # visible: the open task has nothing to show
    assert retain_bytes(svc.media, allowed, png((3, 3, 3), ai=False), now=T0 + DAY)
    kept = svc.media.store.info(allowed) if svc.media.store else None
    assert isinstance(kept, RetainedMedia) and kept.expires_at == T0 + 31 * DAY
    assert not retain_bytes(svc.media, "a-pdf", b"%PDF-1.7 ...", now=T0)  # never shown: not kept


def test_the_store_is_built_from_settings(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        db_url="memory://",
        media_store={"backend": "local", "path": str(tmp_path / "m"), "retention_days": 7},
    )
    svc = build(settings)
    assert svc.media.store is not None and svc.media.retention == 7 * DAY
    assert not svc.media.store.encrypted
    assert build(load_settings(None, db_url="memory://")).media.store is None  # off by default
    with pytest.raises(ConfigError, match="needs a directory"):
        build(load_settings(None, db_url="memory://", media_store={"backend": "local"}))
    with pytest.raises(ConfigError, match="require_encryption"):
        build(
            load_settings(
                None,
                db_url="memory://",
                media_store={"backend": "local", "path": "x", "require_encryption": True},
            )
        )


def test_purge_with_retention_off_says_so() -> None:
    svc = build(load_settings(None, db_url="memory://"))
    with pytest.raises(ConfigError, match="media retention is off"):
        purge_media(svc, now=T0)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_export_or_report_reads_retained_media() -> None:
    """Media is for reviewers only: no module that exports, reports or measures imports the
    media store or the services that read it."""
    exporters = [
        *SRC.glob("service/export_*.py"),
        *SRC.glob("service/report*.py"),
        *SRC.glob("service/impact*.py"),
        *SRC.glob("adapters/dsa_submission.py"),
        *SRC.glob("cli/export.py"),
        *SRC.glob("cli/report.py"),
        *SRC.glob("report/*.py"),
        *SRC.glob("impact/*.py"),
    ]
    assert len(exporters) > 20
    media_modules = {"deepscreen.service.media", "deepscreen.service.media_access"}
    for path in exporters:
        touched = {
            name
            for name in _imports(path)
            if name.startswith("deepscreen.store.media") or name in media_modules
        }
        assert not touched, f"{path.relative_to(SRC)} imports {touched}"


def test_a_platform_url_template_is_fetched_never_stored() -> None:
    asked: list[str] = []

    def fetch(url: str) -> bytes:
        asked.append(url)
        if "missing" in url:
            raise UrlRefused("HTTP 404 from cdn.example")
        return png((5, 5, 5))

    media = ReviewMedia(url_template="https://cdn.example/m/{item_id}", fetch=fetch)
    copy = read_copy(media, "sha256:ab/c")
    assert (copy.mime, copy.origin, copy.data) == ("image/png", "platform", png((5, 5, 5)))
    assert asked == ["https://cdn.example/m/sha256%3Aab%2Fc"]
    with pytest.raises(NotFound, match="platform's copy could not be fetched"):
        read_copy(media, "missing")
    settings = load_settings(
        None, db_url="memory://", media_store={"url_template": "https://cdn.example/{item_id}"}
    )
    built = build(settings).media
    assert built.store is None and built.fetch is not None and built.enabled
    with pytest.raises(ConfigError, match="containing \\{item_id\\}"):
        load_settings(None, db_url="memory://", media_store={"url_template": "https://cdn/x"})
