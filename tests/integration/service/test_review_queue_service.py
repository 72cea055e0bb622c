"""Review queue use cases wired by bootstrap (in-memory stores): routing on scan, claim,
decide → ReviewCompleted (visible to the impact item table), leases, SLA, gold items."""

from __future__ import annotations

import dataclasses
import io
import random
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import ConfigError, InvalidInput, LeaseNotHeld
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.core.tasks import TaskKind, TaskStatus
from deepscreen.service import Services, record_ground_truth, scan_bytes
from deepscreen.service.impact import store_items
from deepscreen.service.review_gold import reviewer_accuracy
from deepscreen.service.review_queue import (
    claim_next,
    decide,
    overdue,
    pseudonym,
    queue_counts,
    release,
    renew,
)
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
NO_GOLD = random.Random(0)


def services(**review: Any) -> Services:
    ids = count()
    settings = load_settings(
        None, db_url="memory://", review={"gold_share": 0.0, "pseudonym_secret": "s3", **review}
    )
    return build(
        settings,
        store=InMemoryEventStore(),
        clock=ManualClock(T0),
        new_id=lambda: f"d{next(ids)}",
    )


def png(colour: tuple[int, int, int], parameters: str | None = A1111) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def scan_for_review(svc: Services, colour: tuple[int, int, int] = (1, 2, 3)) -> str:
    """A declared-AI picture about the news: the shipped policy sends it to review."""
    outcome = scan_bytes(svc, png(colour), source="a.png", attributes={"category": "news"})
    assert outcome.decision.action.value == "review"
    return outcome.item_id


def reviews(svc: Services) -> list[ReviewCompleted]:
    return [e for e in svc.store.read(kinds=["review_completed"]) if isinstance(e, ReviewCompleted)]


def test_scan_routes_a_review_decision_into_its_queue():
    svc = services()
    item_id = scan_for_review(svc)
    scan_bytes(svc, png((9, 9, 9), parameters=None), source="plain.png")  # allowed: no task
    assert svc.review_queue is not None
    [task] = svc.review_queue.list_tasks()
    assert (task.task_id, task.item_id, task.queue, task.kind) == (
        "review:d0",
        item_id,
        "synthetic_media",
        TaskKind.REVIEW,
    )
    assert task.due_at == T0 + timedelta(hours=24)
    # p = prior 0.5 (no ensemble/learned score) × news 2.0 × 1000 default views ÷ 1 image minute
    assert task.priority == pytest.approx(1000.0)
    scan_bytes(svc, png((1, 2, 3)), source="again.png", attributes={"category": "news"})
    assert len(svc.review_queue.list_tasks()) == 1  # a stored item is not queued twice


def test_decide_appends_the_review_and_the_label_reaches_the_item_table():
    svc = services()
    item_id = scan_for_review(svc)
    claimed = claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert claimed is not None and claimed.item_id == item_id
    assert claimed.context["rule_id"] == "review_declared_ai_sensitive"
    done = decide(
        svc,
        claimed.task_id,
        "ann",
        verdict=Verdict.VIOLATING,
        reason_code="manipulated_media",
        label="ai_generated",
        now=T0 + timedelta(minutes=5),
    )
    assert (
        done.task.status is TaskStatus.DONE and done.task.payload["outcome"]["action"] == "remove"
    )
    assert reviews(svc) == [done.review]
    assert done.review is not None and done.review.decision_id == "d0"
    row = store_items(svc).to_pylist()[0]
    assert (row["violating"], row["enforced"], row["enforced_action"], row["label_source"]) == (
        True,
        True,
        "remove",
        "review",
    )


def test_decide_refuses_an_unconfigured_reason_and_a_mismatched_action():
    svc = services()
    scan_for_review(svc)
    task = claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert task is not None
    with pytest.raises(InvalidInput, match="reason_codes"):
        decide(svc, task.task_id, "ann", verdict=Verdict.VIOLATING, reason_code="because", now=T0)
    with pytest.raises(InvalidInput, match="does not fit"):
        decide(
            svc,
            task.task_id,
            "ann",
            verdict=Verdict.NOT_VIOLATING,
            reason_code="authentic_media",
            action="remove",
            now=T0,  # type: ignore[arg-type]
        )
    with pytest.raises(InvalidInput, match="verdict 'maybe' is not one of"):
        decide(svc, task.task_id, "ann", verdict="maybe", reason_code="authentic_media", now=T0)  # type: ignore[arg-type]
    assert svc.review_queue is not None
    assert svc.review_queue.get(task.task_id).status is TaskStatus.CLAIMED and reviews(svc) == []


def test_only_the_lease_holder_decides_until_the_lease_expires():
    svc = services(lease_seconds=600)
    scan_for_review(svc)
    task = claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert task is not None and claim_next(svc, "bo", now=T0, rng=NO_GOLD) is None
    with pytest.raises(LeaseNotHeld):
        decide(
            svc,
            task.task_id,
            "bo",
            verdict=Verdict.VIOLATING,
            reason_code="manipulated_media",
            now=T0,
        )
    renewed = renew(svc, task.task_id, "ann", now=T0 + timedelta(minutes=9))
    assert renewed.lease_expires_at == T0 + timedelta(minutes=19)
    late = T0 + timedelta(minutes=19)
    stolen = claim_next(svc, "bo", now=late, rng=NO_GOLD)
    assert stolen is not None and stolen.task_id == task.task_id
    with pytest.raises(LeaseNotHeld, match="another reviewer"):
        decide(
            svc,
            task.task_id,
            "ann",
            verdict=Verdict.VIOLATING,
            reason_code="manipulated_media",
            now=late,
        )
    release(svc, task.task_id, "bo", now=late)
    assert reviews(svc) == []


def test_overdue_and_counts_show_the_sla_view():
    svc = services(sla_hours={"synthetic_media": 2.0})
    scan_for_review(svc)
    assert overdue(svc, now=T0 + timedelta(hours=1)) == []
    [late] = overdue(svc, now=T0 + timedelta(hours=3))
    assert late.queue == "synthetic_media"
    counts = queue_counts(svc, now=T0 + timedelta(hours=3))
    assert [(c.queue, c.status.value, c.tasks, c.overdue) for c in counts] == [
        ("synthetic_media", "open", 1, 1)
    ]


def test_gold_item_is_blind_graded_and_never_a_new_label():
    svc = services(gold_share=1.0)
    item_id = scan_for_review(svc)
    record_ground_truth(
        svc,
        [(item_id, T0, True, "deepfake")],
        reviewer="label-import:truth.csv",
        reason_code="import",
    )
    served = claim_next(svc, "ann", now=T0, rng=random.Random(1))
    assert served is not None and served.item_id == item_id and served.kind is TaskKind.REVIEW
    assert "gold" not in served.context and "verdict" not in str(served.context)
    assert svc.review_queue is not None
    assert svc.review_queue.get(served.task_id).kind is TaskKind.GOLD
    labels_before = reviews(svc)
    done = decide(
        svc,
        served.task_id,
        "ann",
        verdict=Verdict.VIOLATING,
        reason_code="manipulated_media",
        now=T0,
    )
    assert done.review is None and reviews(svc) == labels_before
    assert done.task.payload["outcome"]["correct"] is True
    # ann has judged the only labelled item: her next claim is an ordinary task
    ordinary = claim_next(svc, "ann", now=T0, rng=random.Random(1))
    assert ordinary is not None and ordinary.task_id == "review:d0"


def test_reviewer_accuracy_and_pairwise_agreement_with_wilson_intervals():
    svc = services(gold_share=1.0)
    item_id = scan_for_review(svc)
    record_ground_truth(svc, [(item_id, T0, True, "deepfake")], reviewer="expert", reason_code="x")
    for reviewer, verdict in (("ann", Verdict.VIOLATING), ("bo", Verdict.NOT_VIOLATING)):
        served = claim_next(svc, reviewer, now=T0, rng=random.Random(2), queues=["gold"])
        assert served is not None
        decide(
            svc, served.task_id, reviewer, verdict=verdict, reason_code="authentic_media", now=T0
        )
    assert claim_next(svc, "expert", now=T0, rng=random.Random(2), queues=["gold"]) is None
    report = reviewer_accuracy(svc)
    [ann, bo] = report.reviewers
    assert (ann.reviewer, ann.correct, ann.judged, ann.accuracy.method) == ("ann", 1, 1, "wilson")
    assert ann.accuracy.low is not None and 0 < ann.accuracy.low < 1 == ann.accuracy.value
    assert (bo.correct, bo.accuracy.method, bo.accuracy.low) == (0, "rule_of_three", 0.0)
    [pair] = report.pairs
    assert (pair.reviewer_a, pair.reviewer_b, pair.agreed, pair.shared) == ("ann", "bo", 0, 1)
    exported = report.pseudonymised(lambda name: pseudonym(svc, name))
    assert exported.reviewers[0].reviewer == pseudonym(svc, "ann") != "ann"
    assert "ann" not in repr(exported) and "bo'" not in repr(exported)


def test_pseudonym_uses_the_configured_secret():
    assert pseudonym(services(), "ann") == pseudonym(services(), "ann")
    assert pseudonym(services(pseudonym_secret="other"), "ann") != pseudonym(services(), "ann")


def test_use_cases_without_a_queue_are_a_config_error():
    svc = dataclasses.replace(services(), review_queue=None)
    with pytest.raises(ConfigError, match="no review queue"):
        claim_next(svc, "ann", now=T0, rng=NO_GOLD)
    assert reviewer_accuracy(svc).reviewers == []
