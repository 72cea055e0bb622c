"""Review queue use cases: enqueue routed decisions, claim (sometimes a gold item), decide with a
reason code (``ReviewCompleted``) and the SLA view; appeals are in ``service.appeals``, gold items
in ``service.review_gold``. Every use case takes ``now``: the shell reads the clock."""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import ConfigError, InvalidInput
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.core.tasks import QueueCount, ReviewTask, TaskKind
from deepscreen.review.assignment import Assignment as Assignment
from deepscreen.review.assignment import assignment
from deepscreen.review.config import ReviewConfig
from deepscreen.review.gold import grade
from deepscreen.review.pseudonym import pseudonym as keyed_pseudonym
from deepscreen.service.review import record_review
from deepscreen.service.review_actions import ActionChoices, action_choices, applied_action
from deepscreen.service.review_actions import parse_choice as parse_choice  # re-exported
from deepscreen.service.review_enqueue import enqueue_routed
from deepscreen.service.review_gold import claim_gold
from deepscreen.service.scan import Services
from deepscreen.service.takedown_resolve import (
    TakedownResolution,
    resolve_takedown,
    takedown_action,
)
from deepscreen.store.review.ports import ReviewQueueStore


@dataclass(frozen=True)
class Decided:
    """A decided task; ``review`` is the recorded ``ReviewCompleted`` (None for a gold item,
    whose answer is graded into the task, never recorded as a label)."""

    task: ReviewTask
    review: ReviewCompleted | None
    banked: int = 0
    not_banked_because: str | None = None
    takedown: TakedownResolution | None = None
    """For a takedown task: what its decision did (``service.takedown_resolve``)."""


def configured(services: Services) -> tuple[ReviewQueueStore, ReviewConfig]:
    """The queue and its parameters; ``ConfigError`` when the services have none."""
    if services.review_queue is None or services.review is None:
        raise ConfigError("no review queue is configured (bootstrap.build wires one)")
    return services.review_queue, services.review


def enqueue_decision(services: Services, decision: Decision, *, now: datetime) -> ReviewTask | None:
    """Queue a decision whose action is ``review`` (None for any other action); idempotent."""
    queue, config = configured(services)
    return enqueue_routed(queue, config, services.store, decision, now=now)


def claim_next(
    services: Services,
    reviewer: str,
    *,
    now: datetime,
    rng: random.Random,
    queues: Collection[str] | None = None,
) -> Assignment | None:
    """The reviewer's next task (highest priority, then oldest) from ``queues`` (None: all),
    leased for ``lease_seconds``; None when there is nothing to do.

    With probability ``gold_share`` (drawn from ``rng``) the claim serves a gold item instead,
    unless only the appeals queue was asked for. The assignment never shows a gold answer.
    """
    queue, config = configured(services)
    if _wants_gold(config, queues) and rng.random() < config.gold_share:
        gold = claim_gold(services, queue, config, reviewer, now=now, rng=rng)
        if gold is not None:
            return assignment(gold)
    task = queue.claim_next(
        reviewer, now=now, lease_seconds=config.lease_seconds, queues=_names(queues)
    )
    return None if task is None else assignment(task)


def renew(services: Services, task_id: str, reviewer: str, *, now: datetime) -> Assignment:
    """Extend the reviewer's lease by ``lease_seconds`` from ``now`` (``LeaseNotHeld`` if lost)."""
    queue, config = configured(services)
    return assignment(queue.renew(task_id, reviewer, now=now, lease_seconds=config.lease_seconds))


def release(services: Services, task_id: str, reviewer: str, *, now: datetime) -> None:
    """Give the task back to the queue undecided."""
    queue, _ = configured(services)
    queue.release(task_id, reviewer, now=now)


def decide(
    services: Services,
    task_id: str,
    reviewer: str,
    *,
    verdict: Verdict,
    reason_code: str,
    now: datetime,
    label: str = "",
    action: Action | None = None,
) -> Decided:
    """Decide a review or gold task the reviewer holds.

    A review task is completed, then its ``ReviewCompleted`` is appended through
    ``record_review`` (the label reaches the impact tables and, for a confirmed deepfake, the
    hash bank). ``action`` is the action applied: for a violation one of the task's choices
    (``task_action_choices``: the restricting actions the policy applies, as the reviewer UI
    offers them), by default the one the routing rule names (``remove`` for a takedown task,
    whose removal also banks the item, closes its other tasks and sweeps for copies:
    ``service.takedown_resolve``); ``allow`` for a clearance. Any other is ``InvalidInput``
    naming the choices. Completing first means two reviewers can never both record a verdict
    for one task; if the append then fails, the outcome stays in the task's payload. A gold
    task (checked the same way, as it must look like any task) records only the graded answer.
    """
    queue, config = configured(services)
    check_reason(config, reason_code)
    verdict = parse_choice(Verdict, verdict, "verdict")
    task = queue.get(task_id)
    if task.kind is TaskKind.APPEAL:
        raise InvalidInput(f"task {task_id!r} is an appeal: resolve it with `appeal resolve`")
    choices = _action_choices(services, config, task)
    applied = applied_action(choices, verdict, takedown_action(task, verdict, action))
    answer = {"verdict": verdict.value, "label": label, "reason_code": reason_code}
    if task.kind is TaskKind.GOLD:
        outcome = {**grade(task, verdict, label), "reason_code": reason_code}
        return Decided(queue.complete(task_id, reviewer, now=now, outcome=outcome), None)
    done = queue.complete(task_id, reviewer, now=now, outcome={**answer, "action": applied.value})
    review = ReviewCompleted(
        item_id=task.item_id,
        occurred_at=now,
        verdict=verdict,
        reviewer=reviewer,
        label=label,
        reason_code=reason_code,
        decision_id=task.decision_id,
        action=applied,
    )
    recorded = record_review(services, review)
    takedown = resolve_takedown(services, done, review)
    return Decided(done, review, len(recorded.banked), recorded.not_banked_because, takedown)


def task_action_choices(services: Services, task_id: str) -> ActionChoices:
    """The actions a violation of the task ``task_id`` may apply and the default
    (``TaskNotFound`` for an unknown task): what the reviewer UI offers and ``decide``
    accepts. A gold task reads as the review task it stands in for."""
    queue, config = configured(services)
    return _action_choices(services, config, queue.get(task_id))


def overdue(
    services: Services,
    *,
    now: datetime,
    queues: Collection[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[ReviewTask]:
    """Tasks not done past their SLA deadline, earliest deadline first."""
    queue, _ = configured(services)
    return queue.overdue(now=now, queues=_names(queues), limit=limit, offset=offset)


def queue_counts(services: Services, *, now: datetime) -> list[QueueCount]:
    """Tasks per queue and status, with how many are overdue."""
    queue, _ = configured(services)
    return queue.counts(now=now)


def pseudonym(services: Services, reviewer: str) -> str:
    """The reviewer's pseudonym for exports (a keyed hash with the configured secret)."""
    _, config = configured(services)
    return keyed_pseudonym(reviewer, config.pseudonym_secret)


def check_reason(config: ReviewConfig, reason_code: str) -> None:
    if reason_code not in config.reason_codes:
        raise InvalidInput(
            f"reason code {reason_code!r} is not one of the configured "
            f"[review] reason_codes: {', '.join(config.reason_codes)}"
        )


def _wants_gold(config: ReviewConfig, queues: Collection[str] | None) -> bool:
    """Gold items stand in for review tasks, so not for a claim of appeals only."""
    if config.gold_share <= 0:
        return False
    return queues is None or any(q != config.appeals_queue for q in _names(queues) or ())


def _names(queues: Collection[str] | None) -> list[str] | None:
    if queues is None:
        return None
    if isinstance(queues, str):
        raise InvalidInput(f"queues must be a collection of names, not the string {queues!r}")
    return list(queues)


def _action_choices(services: Services, config: ReviewConfig, task: ReviewTask) -> ActionChoices:
    context = assignment(task).context
    return action_choices(services.bundle, context, configured=config.violating_action)
