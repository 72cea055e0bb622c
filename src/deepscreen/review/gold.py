"""Gold items, pure: an already-labelled item served as a task whose answer is hidden, the
grading of a reviewer's answer, and the counts behind reviewer accuracy and agreement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from typing import Any

from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.review.config import ReviewConfig
from deepscreen.review.routing import CONTEXT, GOLD, OUTCOME


def gold_task(
    label: ReviewCompleted,
    *,
    task_id: str,
    context: Mapping[str, Any],
    config: ReviewConfig,
    now: datetime,
) -> ReviewTask:
    """A gold task for the labelled item: the answer goes to the hidden ``gold`` payload, and
    whoever gave the label may not claim it."""
    answer = {
        "verdict": label.verdict.value,
        "label": label.label,
        "labelled_by": label.reviewer,
        "labelled_at": label.occurred_at.isoformat(),
    }
    return ReviewTask(
        task_id=task_id,
        item_id=label.item_id,
        kind=TaskKind.GOLD,
        queue=config.gold_queue,
        priority=0.0,
        created_at=now,
        due_at=config.sla_due(config.gold_queue, now),
        exclude_reviewer=label.reviewer,
        payload={CONTEXT: dict(context), GOLD: answer},
    )


def grade(task: ReviewTask, verdict: Verdict, label: str) -> dict[str, Any]:
    """The outcome of a gold task: the reviewer's answer, the expected one, and correctness
    (the verdict decides; the finer label is kept for later analysis)."""
    expected = task.payload[GOLD]
    return {
        "verdict": verdict.value,
        "label": label,
        "expected_verdict": expected["verdict"],
        "expected_label": expected["label"],
        "correct": verdict.value == expected["verdict"],
    }


@dataclass(frozen=True, slots=True)
class ReviewerScore:
    """``correct`` of ``judged`` gold items answered with the expected verdict."""

    reviewer: str
    correct: int
    judged: int


@dataclass(frozen=True, slots=True)
class PairAgreement:
    """Two reviewers gave the same verdict on ``agreed`` of the ``shared`` gold items both
    judged (``reviewer_a`` < ``reviewer_b``)."""

    reviewer_a: str
    reviewer_b: str
    agreed: int
    shared: int


def reviewer_scores(tasks: Iterable[ReviewTask]) -> list[ReviewerScore]:
    """Per reviewer, by name: how many done gold tasks they answered, and how many correctly."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, reviewer, outcome in _graded(tasks):
        counts[reviewer][0] += bool(outcome["correct"])
        counts[reviewer][1] += 1
    return [ReviewerScore(r, c, n) for r, (c, n) in sorted(counts.items())]


def pairwise_agreement(tasks: Iterable[ReviewTask]) -> list[PairAgreement]:
    """Per pair of reviewers who judged the same gold item: agreement on the verdict (a
    reviewer's latest answer on an item counts)."""
    verdicts: dict[str, dict[str, str]] = defaultdict(dict)  # item -> reviewer -> verdict
    for task, reviewer, outcome in sorted(_graded(tasks), key=_completion_order):
        verdicts[task.item_id][reviewer] = str(outcome["verdict"])
    pairs: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for answers in verdicts.values():
        for a, b in combinations(sorted(answers), 2):
            pairs[a, b][0] += answers[a] == answers[b]
            pairs[a, b][1] += 1
    return [PairAgreement(a, b, k, n) for (a, b), (k, n) in sorted(pairs.items())]


def _graded(tasks: Iterable[ReviewTask]) -> list[tuple[ReviewTask, str, Mapping[str, Any]]]:
    return [
        (t, t.completed_by, t.payload[OUTCOME])
        for t in tasks
        if t.kind is TaskKind.GOLD
        and t.status is TaskStatus.DONE
        and t.completed_by is not None
        and OUTCOME in t.payload
    ]


def _completion_order(graded: tuple[ReviewTask, str, Mapping[str, Any]]) -> tuple[Any, ...]:
    task = graded[0]
    return (task.completed_at is None, task.completed_at, task.task_id)
