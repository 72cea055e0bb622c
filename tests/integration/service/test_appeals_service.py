"""Appeal use cases: open against the enforcing decision (excluding the last reviewer),
resolve → AppealResolved (overturns reach the item table), reversed → ItemRestored."""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput, NothingToAppeal
from deepscreen.core.events import AppealOutcome, AppealResolved, ItemRestored, Verdict
from deepscreen.core.tasks import TaskKind, TaskStatus
from deepscreen.impact.metrics import metric_table
from deepscreen.service import Services, scan_bytes
from deepscreen.service.appeals import open_appeal, resolve_appeal
from deepscreen.service.impact import store_items
from deepscreen.service.review_queue import claim_next, decide
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=10)  # within the 15-minute default lease
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
RNG = random.Random(0)


def services() -> Services:
    ids = count()
    settings = load_settings(None, db_url="memory://", review={"gold_share": 0.0})
    return build(
        settings, store=InMemoryEventStore(), clock=ManualClock(T0), new_id=lambda: f"d{next(ids)}"
    )


def scan(
    svc: Services, colour: tuple[int, int, int], category: str = "art", ai: bool = True
) -> str:
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    outcome = scan_bytes(svc, buf.getvalue(), source="x.png", attributes={"category": category})
    return outcome.item_id


def confirmed_by(svc: Services, reviewer: str) -> str:
    """An item sent to review and confirmed violating by ``reviewer`` (then removed)."""
    item_id = scan(svc, (5, 5, 5), category="news")
    task = claim_next(svc, reviewer, now=T0, rng=RNG)
    assert task is not None
    decide(
        svc,
        task.task_id,
        reviewer,
        verdict=Verdict.VIOLATING,
        reason_code="manipulated_media",
        now=T0,
    )
    return item_id


def test_appeal_of_a_labelled_item_opens_one_task_in_the_appeals_queue():
    svc = services()
    item_id = scan(svc, (1, 1, 1))  # declared AI, not sensitive: labelled
    task = open_appeal(svc, item_id, "I disclosed it myself", now=T0 + H)
    assert (task.task_id, task.kind, task.queue, task.exclude_reviewer) == (
        "appeal:d0",
        TaskKind.APPEAL,
        "appeals",
        None,
    )
    assert task.payload["context"]["enforced_action"] == "label"
    assert open_appeal(svc, item_id, "again", now=T0 + 2 * H) == task  # one per decision


def test_appeal_excludes_the_reviewer_who_confirmed_the_violation():
    svc = services()
    item_id = confirmed_by(svc, "ann")
    task = open_appeal(svc, item_id, "this is satire", now=T0 + H)
    assert task.exclude_reviewer == "ann" and task.decision_id == "d0"
    assert claim_next(svc, "ann", now=T0 + H, rng=RNG, queues=["appeals"]) is None
    claimed = claim_next(svc, "bo", now=T0 + H, rng=RNG, queues=["appeals"])
    assert claimed is not None and claimed.kind is TaskKind.APPEAL
    assert claimed.context["statement"] == "this is satire"


def test_reversed_appeal_records_the_overturn_and_restores_the_item():
    svc = services()
    item_id = confirmed_by(svc, "ann")
    task = open_appeal(svc, item_id, "it is my own photo", now=T0 + H)
    claim_next(svc, "bo", now=T0 + 2 * H, rng=RNG, queues=["appeals"])
    resolved = resolve_appeal(
        svc,
        task.task_id,
        "bo",
        outcome=AppealOutcome.REVERSED,
        reason_code="authentic_media",
        now=T0 + 2 * H + M,
    )
    assert resolved.restored and resolved.task.status is TaskStatus.DONE
    tail = svc.store.for_item(item_id)[-2:]
    assert tail == resolved.events
    assert isinstance(tail[0], AppealResolved) and tail[0].received_at == T0 + H
    assert isinstance(tail[1], ItemRestored) and tail[1].decision_id == "d0"
    items = store_items(svc)
    row = items.to_pylist()[0]
    # The action was applied, then undone: still counted as enforced (appeal rate = appealed ÷
    # enforced), and the reversal counts as an overturn.
    assert (row["enforced"], row["appeal_outcome"]) == (True, "reversed")
    overturn = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    rates = {
        r["metric"]: r["value"] for r in overturn.to_pylist() if r["metric"] == "overturn_rate"
    }
    assert rates == {"overturn_rate": 1.0}
    with pytest.raises(NothingToAppeal, match="nothing to appeal"):
        open_appeal(svc, item_id, "and again", now=T0 + 4 * H)  # restored: nothing in force


def test_upheld_appeal_restores_nothing():
    svc = services()
    item_id = scan(svc, (2, 2, 2))
    task = open_appeal(svc, item_id, "", now=T0)
    claim_next(svc, "bo", now=T0, rng=RNG, queues=["appeals"])
    resolved = resolve_appeal(
        svc,
        task.task_id,
        "bo",
        outcome=AppealOutcome.UPHELD,
        reason_code="disclosed_ai",
        now=T0 + M,
    )
    assert not resolved.restored and [e.type for e in resolved.events] == ["appeal_resolved"]
    assert resolved.task.payload["outcome"] == {
        "outcome": "upheld",
        "reason_code": "disclosed_ai",
        "restored": False,
    }


def test_nothing_to_appeal_for_unknown_or_allowed_items():
    svc = services()
    allowed = scan(svc, (3, 3, 3), ai=False)
    with pytest.raises(NothingToAppeal, match="no scanned item"):
        open_appeal(svc, "sha256:nope", "", now=T0)
    with pytest.raises(NothingToAppeal):
        open_appeal(svc, allowed, "", now=T0)
    with pytest.raises(InvalidInput, match="at most"):
        open_appeal(svc, allowed, "x" * 6000, now=T0)


def test_tasks_must_be_resolved_by_their_own_use_case():
    svc = services()
    labelled = scan(svc, (4, 4, 4))
    scan(svc, (6, 6, 6), category="news")  # a review task
    appeal = open_appeal(svc, labelled, "", now=T0)
    review = claim_next(svc, "bo", now=T0, rng=RNG, queues=["synthetic_media"])
    claim_next(svc, "bo", now=T0, rng=RNG, queues=["appeals"])
    assert review is not None
    with pytest.raises(InvalidInput, match="not an appeal"):
        resolve_appeal(
            svc,
            review.task_id,
            "bo",
            outcome=AppealOutcome.UPHELD,
            reason_code="disclosed_ai",
            now=T0,
        )
    with pytest.raises(InvalidInput, match="appeal resolve"):
        decide(
            svc, appeal.task_id, "bo", verdict=Verdict.VIOLATING, reason_code="disclosed_ai", now=T0
        )
    with pytest.raises(InvalidInput, match="reason_codes"):
        resolve_appeal(
            svc, appeal.task_id, "bo", outcome=AppealOutcome.UPHELD, reason_code="nah", now=T0
        )
