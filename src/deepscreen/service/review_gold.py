"""Gold items and reviewer quality: serve an already-labelled item as a blind task, and report
per-reviewer accuracy and pairwise agreement with Wilson intervals (docs/metrics.md, 'Review
priority and reviewer quality')."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from deepscreen.core.errors import LeaseNotHeld
from deepscreen.core.events import DecisionMade, ReviewCompleted
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.config import ReviewConfig
from deepscreen.review.gold import gold_task, pairwise_agreement, reviewer_scores
from deepscreen.review.routing import decision_context
from deepscreen.service.scan import Services
from deepscreen.stats import Interval as Interval
from deepscreen.stats import proportion
from deepscreen.store.review.ports import ReviewQueueStore

_PAGE = 1000


def claim_gold(
    services: Services,
    queue: ReviewQueueStore,
    config: ReviewConfig,
    reviewer: str,
    *,
    now: datetime,
    rng: random.Random,
) -> ReviewTask | None:
    """Add a gold task for a labelled item the reviewer neither labelled nor judged as gold
    before, and claim it for them; None when there is no such item (the caller then serves
    an ordinary task).

    The candidate is drawn uniformly from the stored labels (``ReviewCompleted``, reviews and
    label imports alike) by reservoir sampling, in one pass and constant memory; the item's
    latest label is the answer.
    """
    judged = {t.item_id for t in _all_tasks(queue, kinds=[TaskKind.GOLD], completed_by=reviewer)}
    label = _draw_label(services, reviewer, judged, rng)
    if label is None:
        return None
    events = services.store.for_item(label.item_id)
    latest = [e for e in events if isinstance(e, ReviewCompleted)][-1]
    if latest.reviewer == reviewer:
        return None
    first = next((e.decision for e in events if isinstance(e, DecisionMade)), None)
    context = decision_context(first) if first is not None else {}
    task = gold_task(
        latest, task_id=f"gold:{services.new_id()}", context=context, config=config, now=now
    )
    queue.add([task])
    try:
        return queue.claim(task.task_id, reviewer, now=now, lease_seconds=config.lease_seconds)
    except LeaseNotHeld:  # another reviewer claiming the gold queue took it first
        return None


@dataclass(frozen=True)
class ReviewerAccuracy:
    """Share of a reviewer's gold answers with the expected verdict (Wilson interval)."""

    reviewer: str
    correct: int
    judged: int
    accuracy: Interval


@dataclass(frozen=True)
class ReviewerAgreement:
    """Share of the gold items both reviewers judged on which they gave the same verdict."""

    reviewer_a: str
    reviewer_b: str
    agreed: int
    shared: int
    agreement: Interval


@dataclass(frozen=True)
class AccuracyReport:
    reviewers: list[ReviewerAccuracy]
    pairs: list[ReviewerAgreement]
    confidence: float

    def pseudonymised(self, alias: Callable[[str], str]) -> AccuracyReport:
        """The same report with every reviewer name replaced by ``alias(name)`` (for export)."""
        return AccuracyReport(
            [replace(r, reviewer=alias(r.reviewer)) for r in self.reviewers],
            [
                replace(p, reviewer_a=alias(p.reviewer_a), reviewer_b=alias(p.reviewer_b))
                for p in self.pairs
            ],
            self.confidence,
        )


def reviewer_accuracy(services: Services, *, confidence: float = 0.95) -> AccuracyReport:
    """Per-reviewer accuracy on decided gold items, and pairwise agreement where two
    reviewers judged the same gold item, each with a Wilson interval (rule of three at 0)."""
    if services.review_queue is None:
        return AccuracyReport([], [], confidence)
    done = list(_all_tasks(services.review_queue, kinds=[TaskKind.GOLD], completed_by=None))
    return AccuracyReport(
        [
            ReviewerAccuracy(
                s.reviewer, s.correct, s.judged, _share(s.correct, s.judged, confidence)
            )
            for s in reviewer_scores(done)
        ],
        [
            ReviewerAgreement(
                p.reviewer_a,
                p.reviewer_b,
                p.agreed,
                p.shared,
                _share(p.agreed, p.shared, confidence),
            )
            for p in pairwise_agreement(done)
        ],
        confidence,
    )


def _share(k: int, n: int, confidence: float) -> Interval:
    return proportion(k, n, method="wilson", confidence=confidence)


def _draw_label(
    services: Services, reviewer: str, judged: set[str], rng: random.Random
) -> ReviewCompleted | None:
    chosen: ReviewCompleted | None = None
    seen = 0
    for event in services.store.read(kinds=["review_completed"]):
        assert isinstance(event, ReviewCompleted)
        if event.reviewer == reviewer or event.item_id in judged:
            continue
        seen += 1
        if rng.random() * seen < 1.0:  # keep the seen-th candidate with probability 1/seen
            chosen = event
    return chosen


def _all_tasks(
    queue: ReviewQueueStore, *, kinds: list[TaskKind], completed_by: str | None
) -> Iterator[ReviewTask]:
    """Every done task of ``kinds`` (optionally by one reviewer), page by page."""
    offset = 0
    while True:
        page = queue.list_tasks(
            kinds=kinds,
            statuses=[TaskStatus.DONE],
            completed_by=completed_by,
            limit=_PAGE,
            offset=offset,
        )
        yield from page
        if len(page) < _PAGE:
            return
        offset += _PAGE
