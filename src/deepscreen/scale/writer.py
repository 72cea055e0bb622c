"""Store what the workers decided: one transaction per batch, idempotent, review tasks included,
the same way for every engine and the streaming worker; then keep media copies for reviewers
as ``service.scan.scan_item`` does (docs/internals/scale.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from deepscreen.core.decisions import Action, Decision
from deepscreen.scale.records import Decided
from deepscreen.service.media import retain_scanned
from deepscreen.service.scan import Services, restore_review_task, review_tasks


class Status(StrEnum):
    STORED = "stored"
    ALREADY_STORED = "already_stored"
    FAILED = "failed"


@dataclass(frozen=True)
class Written:
    decided: Decided
    status: Status


@dataclass
class Tally:
    stored: int = 0
    already_stored: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(source, error) of every failed record, in order."""

    def add(self, written: Sequence[Written]) -> None:
        for w in written:
            if w.status is Status.STORED:
                self.stored += 1
            elif w.status is Status.ALREADY_STORED:
                self.already_stored += 1
            else:
                self.failed += 1
                self.failures.append((w.decided.source, w.decided.error or ""))

    @property
    def total(self) -> int:
        return self.stored + self.already_stored + self.failed


def store_decided(services: Services, batch: Sequence[Decided]) -> list[Written]:
    """Write every decided record of ``batch``, with the review tasks of its decisions, in one
    transaction, then keep the media copies they call for; failed ones are passed through.
    Returns one ``Written`` per input, in order."""
    ok = [d for d in batch if d.error is None]
    tasks = [review_tasks(services, d.events) for d in ok]
    flags = iter(services.store.record_items([d.events for d in ok], tasks=tasks) if ok else [])
    out: list[Written] = []
    for decided in batch:
        if decided.error is not None:
            out.append(Written(decided, Status.FAILED))
            continue
        stored = next(flags)
        out.append(Written(decided, Status.STORED if stored else Status.ALREADY_STORED))
        if stored:
            decision = decided.decision
        elif decided.item_id is not None:
            decision = _restore(services, decided.item_id)
        else:
            decision = None
        if decision is not None and decided.media_copy is not None:
            retain_scanned(
                services.media, decision.item_id, decided.media_copy, decision, now=services.clock()
            )
    return out


def _restore(services: Services, item_id: str) -> Decision | None:
    """The stored decision of an item already stored, after giving it its lost review task:
    reads only, unless it was lost."""
    decision = services.store.latest_decision(item_id)
    if decision is not None and decision.action is Action.REVIEW:
        restore_review_task(services, decision, services.store.for_item(item_id))
    return decision
