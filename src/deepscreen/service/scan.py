"""Scanning use cases: signals → policy → recorded decision; the action a review applied."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from deepscreen.core.clock import Clock, IdFactory
from deepscreen.core.costs import CostInputs
from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    ItemRestored,
    ReviewCompleted,
    ShadowDecisionMade,
    SignalsComputed,
    Verdict,
)
from deepscreen.core.media import AttributeValue, MediaItem
from deepscreen.core.signals import SignalResult
from deepscreen.core.tasks import ReviewTask
from deepscreen.media import MediaLimits, load_media, read_media_file
from deepscreen.policy.bundle import Bundle
from deepscreen.policy.evaluate import evaluate, item_inputs, signal_inputs
from deepscreen.policy.explain import Explanation, evaluate_explained
from deepscreen.review.config import ReviewConfig
from deepscreen.service.budget import within_budget
from deepscreen.service.media import ReviewMedia, retain_scanned
from deepscreen.service.review_enqueue import restore_task, routed_tasks
from deepscreen.signals.cascade import Cascade
from deepscreen.signals.ensemble import Ensemble
from deepscreen.signals.hashmatch.banks import BankMatcher
from deepscreen.signals.ports import Detector
from deepscreen.store.banks.ports import BankStore
from deepscreen.store.events.ports import EventStore
from deepscreen.store.review.ports import ReviewQueueStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BankingRule:
    """The closed loop: which reviewed labels get banked, and into which block bank."""

    enabled: bool = True
    bank: str = "confirmed_deepfakes"
    labels: frozenset[str] = frozenset({"deepfake"})


@dataclass(frozen=True)
class Services:
    """Everything a use case needs, wired once by ``deepscreen.bootstrap.build``."""

    store: EventStore
    detectors: Sequence[Detector]
    bundle: Bundle
    limits: MediaLimits
    clock: Clock
    new_id: IdFactory
    costs: CostInputs
    banks: BankStore | None = None
    matcher: BankMatcher | None = None
    banking: BankingRule = BankingRule()
    ensemble: Ensemble | None = None
    shadow_bundles: tuple[Bundle, ...] = ()  # candidate revisions decided in shadow, never applied
    review_queue: ReviewQueueStore | None = None  # decisions routed to review are queued here
    review: ReviewConfig | None = None  # the queue's priority, SLA, lease and gold parameters
    cascade: Cascade = Cascade()  # expensive detectors skip items cheap ones settled
    item_budget_s: float | None = None  # an item's detectors and policy, then abandoned
    media: ReviewMedia = ReviewMedia()  # media kept for reviewers (off: store None)


@dataclass(frozen=True)
class ScanOutcome:
    """The decision for one item; ``already_stored`` means no new decision was written
    (``review_task_restored``: but its missing review task was, see ``restore_review_task``)."""

    item_id: str
    source: str
    decision: Decision
    signals: tuple[SignalResult, ...]
    already_stored: bool = False
    review_task_restored: bool = False
    current_action: Action | None = None
    """For an item stored before: the restriction a person applied after the automated
    decision (a review or a takedown removal, not undone by a restoration), which an upload of
    the same bytes must get too; None when the automated decision stands."""
    media_error: str | None = None  # keeping the media for reviewers failed (logged)
    explanation: Explanation | None = None  # asked for with ``explain=True``; new decisions only


def detector_warnings(services: Services) -> list[str]:
    """One line per enabled detector that will abstain on every item (e.g. its model is not
    installed), saying why and how to fix it: shells print these once, not per item."""
    return [
        f"{d.name}: {missing} — until then it abstains on every item"
        for d in services.detectors
        if (missing := getattr(d, "missing", None))
    ]


def run_detectors(
    detectors: Sequence[Detector], item: MediaItem, cascade: Cascade | None = None
) -> tuple[SignalResult, ...]:
    """Run every detector; one that does not handle the kind or that fails abstains, saying why.

    A detector failing on hostile input must not lose the item or stop a batch: "cannot tell"
    is a value. The failure is logged with its traceback so that bugs stay visible. With a
    ``cascade``, an expensive detector abstains ("settled by …") once an earlier detector has
    settled the item.
    """
    results: list[SignalResult] = []
    for detector in detectors:
        skip = cascade.skips(detector.name, results, item.item_id) if cascade else None
        if skip is not None:
            results.append(SignalResult.abstain(detector.name, detector.version, skip))
            continue
        if item.kind not in detector.media_kinds:
            # Every enabled detector appears in the policy's inputs, so rules never meet a
            # missing signal just because the media kind is new to one detector.
            reason = f"does not handle {item.kind.value} media"
            results.append(SignalResult.abstain(detector.name, detector.version, reason))
            continue
        try:
            results.append(detector.detect(item))
        except Exception as exc:  # noqa: BLE001 - plug-in boundary: turn a crash into abstain
            log.exception("detector %s failed on %s", detector.name, item.source or item.item_id)
            reason = f"detector failed: {type(exc).__name__}: {exc}"[:500]
            results.append(SignalResult.abstain(detector.name, detector.version, reason))
    return tuple(results)


def decide(
    services: Services,
    item: MediaItem,
    *,
    received_at: datetime | None = None,
    explain: bool = False,
) -> DecideOutput:
    """Signals → decision → the events that record them (nothing is written here), within the
    per-item work budget: ``ProcessingTimeout`` past ``services.item_budget_s``.

    ``received_at`` is when the platform handed the item over, if earlier than now (a queued
    job): ``ItemIngested`` records it, so time to detect measures the queue's wait. With
    ``explain`` the decision comes with its explanation, from the same evaluation."""
    return within_budget(
        services.item_budget_s, item.source, lambda: _decide(services, item, received_at, explain)
    )


def _decide(
    services: Services,
    item: MediaItem,
    received_at: datetime | None = None,
    explain: bool = False,
) -> DecideOutput:
    results = run_detectors(services.detectors, item, services.cascade)
    if services.ensemble is not None:
        results = (*results, services.ensemble.combine(results))
    now = services.clock()
    inputs = {"signals": signal_inputs(results), "item": item_inputs(item)}
    versions = {r.detector: r.version for r in results}
    decision, explanation = (evaluate_explained if explain else _unexplained)(
        services.bundle,
        inputs,
        item_id=item.item_id,
        decision_id=services.new_id(),
        decided_at=now,
        detector_versions=versions,
    )
    events: list[Event] = [
        ItemIngested(
            item_id=item.item_id,
            occurred_at=now if received_at is None else min(received_at, now),
            kind=item.kind,
            mime=item.mime,
            width=item.width,
            height=item.height,
            size_bytes=item.size_bytes,
            source=item.source,
            attributes=dict(item.attributes),
        ),
        SignalsComputed(item_id=item.item_id, occurred_at=now, results=results),
        DecisionMade(item_id=item.item_id, occurred_at=now, decision=decision),
    ]
    for shadow in services.shadow_bundles:  # same inputs, recorded, never applied
        shadow_decision = evaluate(
            shadow,
            inputs,
            item_id=item.item_id,
            decision_id=services.new_id(),
            decided_at=now,
            detector_versions=versions,
        )
        events.append(
            ShadowDecisionMade(item_id=item.item_id, occurred_at=now, decision=shadow_decision)
        )
    return events, decision, results, explanation


DecideOutput = tuple[list[Event], Decision, tuple[SignalResult, ...], Explanation | None]
"""What ``decide`` makes: the events to record, the decision, its signals, its explanation."""


def _unexplained(
    bundle: Bundle, inputs: Mapping[str, Any], **decision: Any
) -> tuple[Decision, None]:
    return evaluate(bundle, inputs, **decision), None


def scan_item(
    services: Services,
    item: MediaItem,
    *,
    received_at: datetime | None = None,
    explain: bool = False,
) -> ScanOutcome:
    """Decide and record one loaded item; an item id already stored returns its stored decision
    (and restores its review task if a crash of an older deepscreen lost it).

    The decision and its review task are written in one transaction, so a crash keeps both
    or neither: the task is routed before the write."""
    stored = _stored_outcome(services, item.item_id, item.source)
    if stored is not None:
        return _retain_media(services, item, stored)
    events, decision, results, explanation = decide(
        services, item, received_at=received_at, explain=explain
    )
    tasks = review_tasks(services, events)
    if not services.store.record_item(events, tasks=tasks):  # a concurrent writer won the race
        stored = _stored_outcome(services, item.item_id, item.source)
        assert stored is not None, "record_item refused an item it does not hold"
        return _retain_media(services, item, stored)
    outcome = ScanOutcome(item.item_id, item.source, decision, results, explanation=explanation)
    return _retain_media(services, item, outcome)


def _retain_media(services: Services, item: MediaItem, outcome: ScanOutcome) -> ScanOutcome:
    """After the item's events are recorded: keep its media for reviewers if the decision
    calls for it (``service.media``). A failure is logged and noted on the outcome, never
    raised, and cannot touch the recorded events."""
    error = retain_scanned(
        services.media, item.item_id, item.data, outcome.decision, now=services.clock()
    )
    return outcome if error is None else replace(outcome, media_error=error)


def review_tasks(services: Services, events: Sequence[Event]) -> tuple[ReviewTask, ...]:
    """The review tasks to write with a new item's ``events``, in their transaction: none
    without a configured review queue."""
    if services.review_queue is None or services.review is None:
        return ()
    return routed_tasks(services.review, services.store, events)


def restore_review_task(
    services: Services, decision: Decision, events: Sequence[Event]
) -> ReviewTask | None:
    """Add the missing task of a stored ``review`` decision (None if it has one, is not
    ``review``, or no queue is configured): how re-running a scan heals a database written by
    a deepscreen that stored the decision and its task in two transactions."""
    if services.review_queue is None or services.review is None:
        return None
    task = restore_task(services.review_queue, services.review, decision, events)
    if task is not None:
        log.warning("restored the missing review task %s of item %s", task.task_id, task.item_id)
    return task


def scan_bytes(
    services: Services,
    data: bytes,
    *,
    source: str,
    item_id: str | None = None,
    attributes: Mapping[str, AttributeValue] | None = None,
    received_at: datetime | None = None,
    explain: bool = False,
) -> ScanOutcome:
    item = load_media(
        data, source=source, limits=services.limits, item_id=item_id, attributes=attributes
    )
    return scan_item(services, item, received_at=received_at, explain=explain)


def scan_file(
    services: Services,
    path: Path,
    *,
    attributes: Mapping[str, AttributeValue] | None = None,
    received_at: datetime | None = None,
) -> ScanOutcome:
    item = read_media_file(path, limits=services.limits, attributes=attributes)
    return scan_item(services, item, received_at=received_at)


@dataclass(frozen=True)
class ScanFailure:
    source: str
    error: InvalidInput


def scan_paths(
    services: Services,
    paths: Iterable[Path],
    attributes: Mapping[str, AttributeValue] | None = None,
) -> Iterator[ScanOutcome | ScanFailure]:
    """Scan files one by one; bad input is yielded as a failure and the run goes on.

    Any other error (the store went away, a policy or plug-in failure) stops the run: going
    on would only fail every remaining item the same way.
    """
    for path in paths:
        try:
            yield scan_file(services, path, attributes=attributes)
        except InvalidInput as exc:
            yield ScanFailure(str(path), exc)


def iter_media_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and every file under directories named (recursively, sorted; hidden skipped)."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    yield child
        else:
            yield path


def _stored_outcome(services: Services, item_id: str, source: str) -> ScanOutcome | None:
    decision = services.store.latest_decision(item_id)
    if decision is None:
        return None
    events = services.store.for_item(item_id)
    signals = next((e.results for e in reversed(events) if isinstance(e, SignalsComputed)), ())
    restored = restore_review_task(services, decision, events) is not None
    return ScanOutcome(
        item_id,
        source,
        decision,
        tuple(signals),
        already_stored=True,
        review_task_restored=restored,
        current_action=applied_by_review(events),
    )


def applied_by_review(events: Sequence[Event]) -> Action | None:
    """The restricting action of the item's latest review by a person confirming a violation
    (imported labels are truth, not actions), unless an ``ItemRestored`` came after it."""
    current: Action | None = None
    for event in events:
        if isinstance(event, ItemRestored):
            current = None
        elif (
            isinstance(event, ReviewCompleted)
            and not event.reviewer.startswith("label-import:")
            and event.verdict is Verdict.VIOLATING
            and event.action is not None
            and event.action.is_enforcement
        ):
            current = event.action
    return current
