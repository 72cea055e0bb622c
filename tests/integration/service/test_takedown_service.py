"""Takedown requests end to end on in-memory stores: a notice is validated, recorded once with
its task (due at the legal deadline, claimed before any review task); deciding it removes the
item, banks its hashes so that identical and resized copies are removed at upload by the
shipped policy, and sweeps the stored items for copies; a rejection records its reason; the
DSA statement of reasons names the notice."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.compliance.batches import build_statements
from deepscreen.compliance.sor import SorConfig
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    NoticeReceived,
    NoticeType,
    Notifier,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.impact.takedown import SWEEP_REVIEWER
from deepscreen.service import Services, scan_bytes
from deepscreen.service.export_dsa import restrictions
from deepscreen.service.impact import store_items
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.service.takedown import NoticeRequest, TakedownConfig, ledger, submit_notice
from deepscreen.service.takedown_resolve import sweep_copies
from deepscreen.service.takedown_task import TAKEDOWN_PRIORITY_BASE, takedown_task_id
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NO_GOLD = random.Random(0)
CONFIG = TakedownConfig()


def services(**review: object) -> tuple[Services, ManualClock]:
    ids = count()
    clock = ManualClock(T0)
    settings = load_settings(
        None,
        db_url="memory://",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0, "pseudonym_secret": "s3", **review},
    )
    svc = build(settings, store=InMemoryEventStore(), clock=clock, new_id=lambda: f"d{next(ids)}")
    return svc, clock


def picture(seed: int, *, size: tuple[int, int] = (320, 240), fmt: str = "PNG", **save) -> bytes:
    """Smooth random blobs: enough detail for a PDQ quality well above 50."""
    rng = np.random.default_rng(seed)
    blobs = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8))
    buffer = io.BytesIO()
    blobs.resize(size, Image.Resampling.BICUBIC).save(buffer, fmt, **save)
    return buffer.getvalue()


def same_pixels_other_bytes(seed: int) -> bytes:
    """The picture of ``picture(seed)`` with a text chunk: identical pixels, another SHA-256."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "re-uploaded")
    return picture(seed, pnginfo=info)


def ncii(target: str | None, **changes) -> NoticeRequest:
    values = {
        "notice_type": NoticeType.NCII,
        "item_id": target,
        "statement": "This is an intimate image of me, shared without my consent.",
        "contact": "requester@example.org",
        "good_faith": True,
    }
    return NoticeRequest(**{**values, **changes})


def notices(svc: Services, item_id: str) -> list[NoticeReceived]:
    return [e for e in svc.store.for_item(item_id) if isinstance(e, NoticeReceived)]


def test_a_notice_is_recorded_with_its_task_due_at_the_legal_deadline() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(1), source="post-1.png")
    clock.set(T0 + timedelta(hours=2))
    outcome = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    [notice] = notices(svc, item.item_id)
    assert notice == outcome.notice and notice.matched and notice.good_faith
    assert notice.notice_type is NoticeType.NCII and notice.notice_id
    assert notice.deadline_at == clock() + timedelta(hours=48)
    task = svc.review_queue.get(takedown_task_id(notice.notice_id))
    assert (task.queue, task.kind, task.status) == ("takedown", TaskKind.REVIEW, TaskStatus.OPEN)
    assert task.created_at == clock() and task.due_at == clock() + timedelta(hours=48)
    assert task.decision_id == item.decision.decision_id
    assert task.payload["context"]["statement"].startswith("This is an intimate image")
    assert "contact" not in str(task.payload)  # the requester's contact is never shown


def test_deadlines_are_configured_per_notice_type() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(1), source="post-1.png")
    config = TakedownConfig(
        deadline_hours={
            NoticeType.NCII: 12.0,
            NoticeType.DSA_ILLEGAL_CONTENT: 36.0,
            NoticeType.OTHER: 96.0,
        }
    )
    for kind, hours in config.deadline_hours.items():
        outcome = submit_notice(
            svc, config, ncii(item.item_id, notice_type=kind, statement=kind.value), now=clock()
        )
        assert outcome.task is not None and outcome.task.due_at == clock() + timedelta(hours=hours)


def test_the_same_notice_twice_is_one_notice_and_one_task() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(1), source="post-1.png")
    first = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    clock.set(T0 + timedelta(hours=1))
    again = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    assert again.duplicate and not first.duplicate
    assert again.notice == first.notice and again.task == first.task
    assert len(notices(svc, item.item_id)) == 1
    assert len(svc.review_queue.list_tasks(queues=["takedown"])) == 1
    # the platform's own id identifies a request whatever its content
    a = submit_notice(svc, CONFIG, ncii(item.item_id, external_id="case-7"), now=clock())
    b = submit_notice(
        svc, CONFIG, ncii(item.item_id, external_id="case-7", statement="edited"), now=clock()
    )
    assert b.duplicate and b.notice.notice_id == a.notice.notice_id
    assert len(svc.review_queue.list_tasks(queues=["takedown"])) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"good_faith": False}, "good-faith"),
        ({"contact": ""}, "contact"),
        ({"statement": "  "}, "statement is empty"),
        ({"statement": "x" * 5001}, "at most 5000"),
        ({"item_id": None}, "exactly one"),
        ({"sha256": "a" * 64}, "exactly one"),
        ({"item_id": None, "sha256": "xyz"}, "64 hexadecimal"),
        ({"item_id": None, "url": "ftp://example.org/a.png"}, r"an http\(s\) URL"),
        ({"external_id": "has space"}, "external_id"),
    ],
)
def test_invalid_notices_are_refused_and_record_nothing(changes, message) -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(1), source="post-1.png")
    with pytest.raises(InvalidInput, match=message):
        submit_notice(svc, CONFIG, ncii(item.item_id, **changes), now=clock())
    assert notices(svc, item.item_id) == []
    assert svc.review_queue.list_tasks() == []


def test_an_other_notice_needs_no_good_faith_declaration() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(1), source="post-1.png")
    request = ncii(item.item_id, notice_type=NoticeType.OTHER, good_faith=False, contact="")
    assert submit_notice(svc, CONFIG, request, now=clock()).task is not None


def test_a_notice_for_an_item_we_do_not_have_is_recorded_unmatched_and_matched_later() -> None:
    svc, clock = services()
    data = picture(5)
    from deepscreen.core.media import content_item_id

    sha = content_item_id(data).removeprefix("sha256:")
    request = ncii(None, sha256=sha.upper())
    outcome = submit_notice(svc, CONFIG, request, now=clock())
    assert outcome.task is None and not outcome.matched
    assert outcome.notice.item_id == f"sha256:{sha}" and not outcome.notice.matched
    assert svc.review_queue.list_tasks() == []
    by_url = submit_notice(
        svc, CONFIG, ncii(None, url="https://cdn.example/never-scanned.png"), now=clock()
    )
    assert by_url.notice.item_id.startswith("url:") and by_url.task is None
    # the item arrives; the same request again is matched, its deadline from the first receipt
    clock.set(T0 + timedelta(hours=5))
    scan_bytes(svc, data, source="late.png")
    again = submit_notice(svc, CONFIG, request, now=clock())
    assert again.duplicate and again.task is not None and again.matched
    assert again.task.due_at == T0 + timedelta(hours=48)
    [found] = [
        r for r in ledger(svc, bank="takedown").requests if r.notice_id == again.notice.notice_id
    ]
    assert found.matched and found.received_at == T0 and found.outcome == "pending"
    assert submit_notice(svc, CONFIG, request, now=clock()).task == again.task  # once


def test_a_notice_by_url_finds_the_item_scanned_from_it() -> None:
    svc, clock = services()
    url = "https://media.example.org/u/1/post.png?size=large"
    item = scan_bytes(svc, picture(2), source=url)
    outcome = submit_notice(svc, CONFIG, ncii(None, url=url), now=clock())
    assert outcome.matched and outcome.notice.item_id == item.item_id
    assert outcome.notice.reference == url


def test_takedown_tasks_are_claimed_before_any_review_task() -> None:
    svc, clock = services()
    for colour in range(3):  # declared-AI news: the shipped policy sends each to review
        image = Image.new("RGB", (32, 24), (colour * 60, 9, 9))
        info = PngImagePlugin.PngInfo()
        info.add_text("parameters", A1111)
        buffer = io.BytesIO()
        image.save(buffer, "PNG", pnginfo=info)
        scan_bytes(svc, buffer.getvalue(), source=f"n{colour}.png", attributes={"category": "news"})
    # an ordinary task of an implausibly high priority still comes after a takedown
    urgent = ReviewTask(
        task_id="review:viral",
        item_id="viral",
        kind=TaskKind.REVIEW,
        queue="synthetic_media",
        priority=1e12,
        created_at=T0 - timedelta(days=3),
    )
    svc.review_queue.add([urgent])
    one = scan_bytes(svc, picture(3), source="b.png")
    two = scan_bytes(svc, picture(4), source="a.png")
    dsa = NoticeRequest(
        notice_type=NoticeType.DSA_ILLEGAL_CONTENT,
        item_id=one.item_id,
        statement="illegal",
        contact="x@example.org",
        good_faith=True,
        notifier=Notifier.TRUSTED_FLAGGER,
    )
    clock.set(T0 + timedelta(hours=1))
    first = submit_notice(svc, CONFIG, ncii(one.item_id), now=clock())  # due T0 + 49 h
    second = submit_notice(svc, CONFIG, dsa, now=clock())  # due T0 + 25 h: sooner
    third = submit_notice(svc, CONFIG, ncii(two.item_id), now=clock())  # due T0 + 49 h
    assert all(
        o.task.priority > TAKEDOWN_PRIORITY_BASE - 2e9 > 1e12 for o in (first, second, third)
    )
    order = [claim_next(svc, f"r{i}", now=clock(), rng=NO_GOLD) for i in range(5)]
    ids = [a.task_id for a in order]
    assert ids[0] == second.task.task_id  # the earliest deadline first
    assert set(ids[1:3]) == {first.task.task_id, third.task.task_id}
    assert ids[3] == "review:viral" and ids[4].startswith("review:")


def test_removal_banks_the_hashes_and_copies_are_removed_at_upload() -> None:
    svc, clock = services()
    original = scan_bytes(svc, picture(7), source="post.png")
    assert original.decision.action is Action.ALLOW
    outcome = submit_notice(svc, CONFIG, ncii(original.item_id), now=clock())
    clock.set(T0 + timedelta(hours=3))
    task = claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    assert task is not None and task.task_id == outcome.task.task_id
    done = decide(
        svc, task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    assert done.review is not None and done.review.action is Action.REMOVE
    assert done.takedown is not None and done.takedown.removed
    [entry] = done.takedown.banked
    assert entry.bank == "takedown" and entry.item_id == original.item_id
    assert entry.metadata["notice_id"] == outcome.notice.notice_id
    assert entry.metadata["sha256"] == original.item_id.removeprefix("sha256:")
    assert svc.banks.get_bank("takedown").purpose.value == "block"

    clock.set(T0 + timedelta(hours=4))
    identical = scan_bytes(svc, same_pixels_other_bytes(7), source="reupload.png")
    resized = scan_bytes(
        svc, picture(7, size=(200, 150), fmt="JPEG", quality=70), source="resized.jpg"
    )
    other = scan_bytes(svc, picture(8), source="unrelated.png")
    for copy in (identical, resized):
        assert copy.item_id != original.item_id
        assert (copy.decision.action, copy.decision.rule_id) == (
            Action.REMOVE,
            "remove_takedown_copy",
        )
    assert other.decision.action is Action.ALLOW
    [request] = ledger(svc, bank="takedown").requests
    assert request.outcome == "removed" and request.hours_to_removal == pytest.approx(3.0)
    copies = ledger(svc, bank="takedown").copies
    assert {(c.item_id, c.how) for c in copies} == {
        (identical.item_id, "upload"),
        (resized.item_id, "upload"),
    }
    assert all(c.notice_id == outcome.notice.notice_id for c in copies)


def test_the_sweep_removes_stored_copies_once_each_linked_to_the_notice() -> None:
    svc, clock = services()
    original = scan_bytes(svc, picture(9), source="post.png")
    stored_copy = scan_bytes(
        svc, picture(9, size=(256, 192), fmt="JPEG", quality=80), source="c.jpg"
    )
    unrelated = scan_bytes(svc, picture(10), source="u.png")
    routed = scan_bytes(svc, same_pixels_other_bytes(9), source="d.png")
    outcome = submit_notice(svc, CONFIG, ncii(original.item_id), now=clock())
    clock.set(T0 + timedelta(hours=1))
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    done = decide(
        svc, outcome.task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    assert done.takedown is not None and done.takedown.sweep is not None
    swept = {c.item_id for c in done.takedown.sweep.copies}
    assert swept == {stored_copy.item_id, routed.item_id}
    for item_id in swept:
        [notice] = notices(svc, item_id)
        assert notice.copy_of == original.item_id
        assert notice.notice_id == outcome.notice.notice_id
        [review] = [e for e in svc.store.for_item(item_id) if isinstance(e, ReviewCompleted)]
        assert (review.verdict, review.action, review.reviewer) == (
            Verdict.VIOLATING,
            Action.REMOVE,
            SWEEP_REVIEWER,
        )
    assert notices(svc, unrelated.item_id) == []
    # idempotent: a second sweep finds nothing new
    again = sweep_copies(svc, queue="takedown", bank="takedown", threshold=31, now=clock())
    assert again.copies == () and again.rebanked == 0
    # each copy counts as enforcement (notice and action) in the item table
    items = {r["item_id"]: r for r in store_items(svc).to_pylist()}
    assert items[original.item_id]["enforced_action"] == "remove"
    for item_id in swept:
        assert items[item_id]["enforced"] and items[item_id]["enforced_action"] == "remove"
    assert not items[unrelated.item_id]["enforced"]


def test_the_sweep_banks_a_removal_whose_banking_did_not_happen() -> None:
    svc, clock = services()
    original = scan_bytes(svc, picture(11), source="post.png")
    outcome = submit_notice(svc, CONFIG, ncii(original.item_id), now=clock())
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    # the process stops after the review is recorded: complete the task and record the review
    # by hand, as `decide` does before it banks
    svc.review_queue.complete(
        outcome.task.task_id,
        "ann",
        now=clock(),
        outcome={"verdict": "violating", "action": "remove", "reason_code": "x", "label": ""},
    )
    with pytest.raises(Exception):  # noqa: B017 - the bank does not exist yet
        svc.banks.get_bank("takedown")
    result = sweep_copies(svc, queue="takedown", bank="takedown", threshold=31, now=clock())
    assert result.rebanked == 1
    [entry] = list(svc.banks.entries("takedown"))
    assert entry.item_id == original.item_id
    copy = scan_bytes(svc, same_pixels_other_bytes(11), source="again.png")
    assert copy.decision.rule_id == "remove_takedown_copy"


def test_rejecting_a_notice_records_the_reason_and_banks_nothing() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(12), source="post.png")
    outcome = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    clock.set(T0 + timedelta(hours=2))
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    done = decide(
        svc, outcome.task.task_id, "ann", verdict=Verdict.NOT_VIOLATING,
        reason_code="authentic_media", now=clock(),
    )  # fmt: skip
    assert done.review is not None and done.review.action is Action.ALLOW
    assert done.review.reason_code == "authentic_media"
    assert done.takedown is not None and not done.takedown.removed
    assert done.task.payload["outcome"]["reason_code"] == "authentic_media"
    assert [b.name for b, _ in svc.banks.list_banks()] == []
    [request] = ledger(svc, bank="takedown").requests
    assert request.outcome == "rejected" and request.answered_at == clock()
    assert (
        scan_bytes(svc, same_pixels_other_bytes(12), source="x.png").decision.action is Action.ALLOW
    )


def test_a_takedown_removes_whatever_the_configured_violating_action() -> None:
    svc, clock = services(violating_action="label")
    item = scan_bytes(svc, picture(16), source="post.png")
    outcome = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    done = decide(
        svc, outcome.task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    assert done.review is not None and done.review.action is Action.REMOVE
    assert done.task.payload["outcome"]["action"] == "remove"


def test_an_ncii_takedown_is_answered_by_removal_only() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(13), source="post.png")
    outcome = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    with pytest.raises(InvalidInput, match="NCII takedown is answered by removal"):
        decide(
            svc, outcome.task.task_id, "ann", verdict=Verdict.VIOLATING,
            reason_code="manipulated_media", action=Action.LABEL, now=clock(),
        )  # fmt: skip
    assert svc.review_queue.get(outcome.task.task_id).status is TaskStatus.CLAIMED


def test_removal_closes_the_items_other_open_tasks() -> None:
    svc, clock = services()
    item = scan_bytes(svc, picture(14), source="post.png")
    first = submit_notice(svc, CONFIG, ncii(item.item_id), now=clock())
    second = submit_notice(svc, CONFIG, ncii(item.item_id, statement="again"), now=clock())
    task = claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    done = decide(
        svc, task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    other = second.task if task.task_id == first.task.task_id else first.task
    assert done.takedown.closed_tasks == (other.task_id,)
    assert svc.review_queue.get(other.task_id).status is TaskStatus.DONE
    assert {r.outcome for r in ledger(svc, bank="takedown").requests} == {"removed"}


def test_notice_and_action_removals_get_dsa_statements_naming_the_notice() -> None:
    svc, clock = services()
    original = scan_bytes(svc, picture(15), source="post.png")
    stored_copy = scan_bytes(svc, same_pixels_other_bytes(15), source="copy.png")
    dsa = NoticeRequest(
        notice_type=NoticeType.DSA_ILLEGAL_CONTENT,
        item_id=original.item_id,
        statement="illegal",
        contact="x@example.org",
        good_faith=True,
    )
    outcome = submit_notice(svc, CONFIG, dsa, now=clock())
    claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    decide(
        svc, outcome.task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    found = {r.decision_id: r for r in restrictions(svc.store)}
    statements = {s["puid"]: s for s in build_statements(restrictions(svc.store), SorConfig())}
    noticed = statements[original.decision.decision_id]
    assert found[original.decision.decision_id].basis == "notice"
    assert noticed["source_type"] == "SOURCE_ARTICLE_16"
    assert noticed["automated_detection"] == "No"
    assert noticed["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert noticed["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    copied = statements[stored_copy.decision.decision_id]
    assert copied["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert copied["source_type"] == "SOURCE_VOLUNTARY"
    text = str(statements)
    assert "example.org" not in text and "illegal" not in noticed["decision_facts"]


def test_the_uploader_can_appeal_a_takedown_removal_and_a_reversal_unbanks_it() -> None:
    """DSA Art. 20: a removal on notice is appealable like any enforcement; reversing it
    restores the item and takes its hashes out of the takedown bank."""
    from deepscreen.core.events import AppealOutcome
    from deepscreen.service.appeals import open_appeal, resolve_appeal
    from deepscreen.service.scan import applied_by_review

    svc, clock = services()
    original = scan_bytes(svc, picture(7), source="post.png")
    submit_notice(svc, CONFIG, ncii(original.item_id), now=clock())
    task = claim_next(svc, "ann", now=clock(), rng=NO_GOLD)
    assert task is not None
    done = decide(
        svc, task.task_id, "ann", verdict=Verdict.VIOLATING,
        reason_code="deepfake_of_real_person", now=clock(),
    )  # fmt: skip
    assert done.takedown is not None and done.takedown.banked

    clock.set(T0 + timedelta(hours=5))
    appeal = open_appeal(svc, original.item_id, "this is not me", now=clock())
    assert appeal.kind is TaskKind.APPEAL and appeal.item_id == original.item_id
    assert appeal.payload["context"]["enforced_action"] == "remove"
    claimed = claim_next(svc, "bo", now=clock(), rng=NO_GOLD, queues=["appeals"])
    assert claimed is not None and claimed.task_id == appeal.task_id
    resolution = resolve_appeal(
        svc, appeal.task_id, "bo", outcome=AppealOutcome.REVERSED,
        reason_code="authentic_media", now=clock(),
    )  # fmt: skip
    assert resolution.restored
    assert {(r.entry.bank, r.entry.item_id) for r in resolution.unbanked} == {
        ("takedown", original.item_id)
    }
    assert applied_by_review(svc.store.for_item(original.item_id)) is None
    reupload = scan_bytes(svc, same_pixels_other_bytes(7), source="reupload.png")
    assert reupload.decision.action is Action.ALLOW
