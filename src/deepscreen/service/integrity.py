"""``deepscreen db check``: the invariants between decisions and review tasks
(``review_without_task``, ``duplicate_decisions``, ``task_without_decision``) and the repairs
that are safe (only the first); why: docs/reliability-crash.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from deepscreen.core.decisions import Decision
from deepscreen.review.config import ReviewConfig
from deepscreen.review.routing import route_as_decided
from deepscreen.store.events.ports import EventStore
from deepscreen.store.review.ports import ReviewQueueStore

PAGE = 500


class Check(StrEnum):
    REVIEW_WITHOUT_TASK = "review_without_task"
    DUPLICATE_DECISIONS = "duplicate_decisions"
    TASK_WITHOUT_DECISION = "task_without_decision"


CHECKS: dict[Check, tuple[str, str]] = {
    Check.REVIEW_WITHOUT_TASK: (
        "review decisions with no review task",
        "add the task, routed as decided",
    ),
    Check.DUPLICATE_DECISIONS: (
        "items with more than one decision under one policy revision",
        "report only: the log is append-only and both decisions may have been acted on",
    ),
    Check.TASK_WITHOUT_DECISION: (
        "review-queue tasks naming a decision that is not stored",
        "report only: the task may hold a reviewer's work; the decision cannot be rebuilt",
    ),
}
"""Per check: what it counts, and what ``--repair`` does about it."""

REPAIRABLE = frozenset({Check.REVIEW_WITHOUT_TASK})


@dataclass(frozen=True)
class Finding:
    """One check's result: how many violations, and the first few in words."""

    check: Check
    violations: int
    examples: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return CHECKS[self.check][0]

    @property
    def repair(self) -> str:
        return CHECKS[self.check][1]


@dataclass(frozen=True)
class IntegrityReport:
    database: str
    findings: tuple[Finding, ...]

    @property
    def violations(self) -> int:
        return sum(f.violations for f in self.findings)

    @property
    def clean(self) -> bool:
        return self.violations == 0

    def count(self, check: Check) -> int:
        return next(f.violations for f in self.findings if f.check is check)


@dataclass(frozen=True)
class RepairResult:
    """The report before, the tasks ``--repair`` added, and the report after."""

    before: IntegrityReport
    tasks_added: int
    after: IntegrityReport


class DuplicateGroup(Protocol):
    """Decisions of one item under one policy revision (more than one: a violation)."""

    @property
    def item_id(self) -> str: ...
    @property
    def policy_revision(self) -> str: ...
    @property
    def decision_ids(self) -> tuple[str, ...]: ...


class OrphanTask(Protocol):
    """A review-queue task naming a decision that is not stored."""

    @property
    def task_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def item_id(self) -> str: ...
    @property
    def decision_id(self) -> str: ...


class IntegrityQueries(Protocol):
    """The invariant queries over one database (``store.sql.integrity.SqlIntegrity``)."""

    @property
    def url(self) -> str: ...
    def count_untasked_reviews(self) -> int: ...
    def untasked_reviews(
        self, *, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, Decision]]: ...
    def duplicate_decisions(self, *, limit: int = 100) -> tuple[int, Sequence[DuplicateGroup]]: ...
    def orphan_tasks(self, *, limit: int = 100) -> tuple[int, Sequence[OrphanTask]]: ...


def check(integrity: IntegrityQueries, *, examples: int = 5) -> IntegrityReport:
    """Every check on the database ``integrity`` queries; nothing is written."""
    return _report(integrity, examples)


def repair(
    integrity: IntegrityQueries,
    store: EventStore,
    queue: ReviewQueueStore,
    config: ReviewConfig,
    *,
    examples: int = 5,
) -> RepairResult:
    """Check, add the missing review tasks to ``queue`` (a page at a time, each page one
    transaction), and check again. Safe to run while scans write: every add is idempotent on
    the task id. ``store`` and ``queue`` are the event log and queue of the checked database."""
    before = _report(integrity, examples)
    added, after_seq = 0, 0
    while page := integrity.untasked_reviews(after=after_seq, limit=PAGE):
        tasks = [route_as_decided(d, config, store.for_item(d.item_id)) for _, d in page]
        added += queue.add([task for task in tasks if task is not None])
        after_seq = page[-1][0]
    return RepairResult(before, added, _report(integrity, examples))


def _report(integrity: IntegrityQueries, examples: int) -> IntegrityReport:
    untasked = integrity.count_untasked_reviews()
    shown = integrity.untasked_reviews(limit=examples) if examples else []
    duplicates, groups = integrity.duplicate_decisions(limit=examples)
    orphans, tasks = integrity.orphan_tasks(limit=examples)
    return IntegrityReport(
        integrity.url,
        (
            Finding(Check.REVIEW_WITHOUT_TASK, untasked, tuple(map(_untasked, shown))),
            Finding(Check.DUPLICATE_DECISIONS, duplicates, tuple(map(_duplicate, groups))),
            Finding(Check.TASK_WITHOUT_DECISION, orphans, tuple(map(_orphan, tasks))),
        ),
    )


def _untasked(row: tuple[int, Decision]) -> str:
    decision = row[1]
    return (
        f"decision {decision.decision_id} of item {decision.item_id} "
        f"(rule {decision.rule_id or 'default'}, decided {decision.decided_at.isoformat()})"
    )


def _duplicate(group: DuplicateGroup) -> str:
    return (
        f"item {group.item_id}, policy revision {group.policy_revision}: "
        f"decisions {', '.join(group.decision_ids)}"
    )


def _orphan(task: OrphanTask) -> str:
    return (
        f"task {task.task_id} ({task.kind}, {task.status}) of item {task.item_id}: "
        f"decision {task.decision_id} is not stored"
    )
