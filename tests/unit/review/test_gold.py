"""Gold items, pure: the blind task, grading, accuracy and pairwise agreement counts."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from deepscreen.core.decisions import Action
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.config import PriorityConfig, ReviewConfig
from deepscreen.review.gold import (
    PairAgreement,
    ReviewerScore,
    gold_task,
    grade,
    pairwise_agreement,
    reviewer_scores,
)

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
REVIEW = ReviewConfig(
    priority=PriorityConfig(
        score_signals=(),
        prior_probability=0.5,
        segment_attribute="category",
        severity_by_segment={},
        default_severity=1.0,
        handling_minutes_by_kind={},
        default_handling_minutes=1.0,
        default_predicted_views=1.0,
    ),
    lease_seconds=60,
    sla_hours_by_queue={},
    default_sla_hours=8.0,
    default_queue="review",
    appeals_queue="appeals",
    gold_queue="gold",
    gold_share=0.5,
    reason_codes=("x",),
    violating_action=Action.REMOVE,
    pseudonym_secret=b"k",
)
LABEL = ReviewCompleted(
    item_id="i1", occurred_at=T0, verdict=Verdict.VIOLATING, reviewer="expert", label="deepfake"
)


def judged(item: str, reviewer: str, verdict: str, correct: bool, minute: int = 0) -> ReviewTask:
    return ReviewTask(
        task_id=f"gold:{item}:{reviewer}:{minute}",
        item_id=item,
        kind=TaskKind.GOLD,
        queue="gold",
        priority=0.0,
        created_at=T0,
        status=TaskStatus.DONE,
        completed_by=reviewer,
        completed_at=T0 + timedelta(minutes=minute),
        payload={"outcome": {"verdict": verdict, "correct": correct}},
    )


def test_gold_task_hides_the_label_and_excludes_its_author() -> None:
    task = gold_task(LABEL, task_id="gold:1", context={"rule_id": "r"}, config=REVIEW, now=T0)
    assert (task.kind, task.queue, task.exclude_reviewer) == (TaskKind.GOLD, "gold", "expert")
    assert task.payload["gold"]["verdict"] == "violating" and task.due_at == T0 + timedelta(hours=8)


def test_grade_compares_verdicts() -> None:
    task = gold_task(LABEL, task_id="gold:1", context={}, config=REVIEW, now=T0)
    right = grade(task, Verdict.VIOLATING, "ai_generated")
    wrong = grade(task, Verdict.NOT_VIOLATING, "")
    assert right["correct"] is True and right["expected_label"] == "deepfake"
    assert wrong["correct"] is False and wrong["expected_verdict"] == "violating"


def test_reviewer_scores_count_done_gold_tasks_only() -> None:
    tasks = [
        judged("i1", "ann", "violating", True),
        judged("i2", "ann", "violating", False),
        judged("i1", "bo", "violating", True),
        dataclasses.replace(judged("i3", "bo", "violating", True), status=TaskStatus.CLAIMED),
        dataclasses.replace(judged("i4", "bo", "violating", True), kind=TaskKind.REVIEW),
    ]
    assert reviewer_scores(tasks) == [ReviewerScore("ann", 1, 2), ReviewerScore("bo", 1, 1)]


def test_pairwise_agreement_over_shared_items_with_latest_answers() -> None:
    tasks = [
        judged("i1", "ann", "violating", True),
        judged("i1", "bo", "violating", True),
        judged("i1", "cy", "not_violating", False),
        judged("i2", "ann", "violating", True, minute=1),
        judged("i2", "bo", "violating", True),
        judged("i2", "ann", "not_violating", False, minute=5),  # ann changed her mind later
        judged("i3", "cy", "violating", True),
    ]
    assert pairwise_agreement(tasks) == [
        PairAgreement("ann", "bo", 1, 2),
        PairAgreement("ann", "cy", 0, 1),
        PairAgreement("bo", "cy", 0, 1),
    ]
