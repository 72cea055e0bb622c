"""Store what the workers decided: one transaction per batch, idempotent, then review tasks.

The driver of a batch engine and the streaming worker both end here, so an item is written the
same way whichever engine decided it: ``EventStore.record_items`` skips item ids already stored
(a resumed backfill, a redelivered message), and a decision routed to review is queued after
its events are durable, as ``service.scan.scan_item`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from deepscreen.core.events import DecisionMade
from deepscreen.scale.records import Decided
from deepscreen.service.review_enqueue import enqueue_routed
from deepscreen.service.scan import Services


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
    """Write every decided record of ``batch`` in one transaction; failed ones are passed
    through. Returns one ``Written`` per input, in order."""
    ok = [d for d in batch if d.error is None]
    flags = iter(services.store.record_items([d.events for d in ok]) if ok else [])
    out: list[Written] = []
    for decided in batch:
        if decided.error is not None:
            out.append(Written(decided, Status.FAILED))
            continue
        stored = next(flags)
        out.append(Written(decided, Status.STORED if stored else Status.ALREADY_STORED))
        if stored:
            _enqueue(services, decided)
    return out


def _enqueue(services: Services, decided: Decided) -> None:
    if services.review_queue is None or services.review is None:
        return
    for event in decided.events:
        if isinstance(event, DecisionMade):
            decision = event.decision
            enqueue_routed(
                services.review_queue,
                services.review,
                services.store,
                decision,
                now=decision.decided_at,
            )
