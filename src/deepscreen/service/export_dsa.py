"""Export EU DSA statements of reasons from the event log, validated, in batches of ≤ 100; which
items get one (the ``impact.items`` enforcement definition) and what source a statement names:
docs/internals/service.md."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    NoticeReceived,
    NoticeType,
    Notifier,
    ReviewCompleted,
    Verdict,
)
from deepscreen.core.files import write_bytes_atomic
from deepscreen.impact.items import ENFORCEMENT_ACTIONS
from deepscreen.impact.takedown import SWEEP_REVIEWER
from deepscreen.report.dsa import Restriction, SorConfig, statement_of_reasons
from deepscreen.report.dsa_validate import MAX_BATCH, Violation, validate_batch
from deepscreen.store.events.ports import EventStore

_KINDS = ("item_ingested", "decision_made", "review_completed", "notice_received")
_IMPORTED = "label-import:"


@dataclass
class _Item:
    ingested: ItemIngested | None = None
    decision: DecisionMade | None = None
    review: ReviewCompleted | None = None
    notice: NoticeReceived | None = None  # the first notice, as ``impact.items``'s notice_at


@dataclass(frozen=True)
class BatchResult:
    path: Path | None
    """Where the batch was written; None when it was refused (invalid)."""
    puids: tuple[str, ...]
    violations: tuple[Violation, ...]


@dataclass(frozen=True)
class ExportResult:
    batches: tuple[BatchResult, ...] = field(default_factory=tuple)

    @property
    def records(self) -> int:
        return sum(len(b.puids) for b in self.batches)

    @property
    def written(self) -> int:
        return sum(1 for b in self.batches if b.path is not None)

    @property
    def violations(self) -> list[Violation]:
        return [v for b in self.batches for v in b.violations]

    @property
    def invalid_records(self) -> int:
        return len({v.puid for v in self.violations if v.field != "statements"})


def restrictions(
    store: EventStore, *, since: datetime | None = None, until: datetime | None = None
) -> list[Restriction]:
    """The restrictions applied in ``since <= started < until``, in order of their start."""
    for bound in (since, until):
        if bound is not None and bound.tzinfo is None:
            raise InvalidInput(f"period bound {bound.isoformat()!r} needs a time zone")
    items: dict[str, _Item] = {}
    for event in store.read(kinds=_KINDS):
        _collect(items.setdefault(event.item_id, _Item()), event)
    found = [r for item in items.values() if (r := _restriction(item)) is not None]
    selected = [
        r
        for r in found
        if (since is None or r.applied_at >= since) and (until is None or r.applied_at < until)
    ]
    return sorted(selected, key=lambda r: (r.applied_at, r.decision_id))


def _collect(item: _Item, event: Event) -> None:
    if isinstance(event, ItemIngested) and item.ingested is None:
        item.ingested = event
    elif isinstance(event, DecisionMade) and item.decision is None:
        item.decision = event  # the automated decision: the first one, as in impact.items
    elif isinstance(event, ReviewCompleted) and not event.reviewer.startswith(_IMPORTED):
        item.review = event  # the latest human review
    elif isinstance(event, NoticeReceived) and item.notice is None:
        item.notice = event


def _restriction(item: _Item) -> Restriction | None:
    if item.ingested is None or item.decision is None:
        return None
    decision = item.decision.decision
    review = item.review
    confirmed = review is not None and review.verdict is Verdict.VIOLATING
    common: dict[str, Any] = {
        "decision_id": decision.decision_id,
        "media_kind": str(item.ingested.kind),
        "policy_revision": decision.policy_revision,
        "rule_id": decision.rule_id,
        "content_at": item.ingested.occurred_at,
    }
    if decision.action in ENFORCEMENT_ACTIONS:
        return Restriction(
            action=str(decision.action),
            applied_at=decision.decided_at,
            human_reviewed=confirmed,
            **common,
        )
    if not confirmed or review is None or review.action not in ENFORCEMENT_ACTIONS:
        return None
    if decision.action == "review":
        return Restriction(
            action=str(review.action),
            applied_at=review.occurred_at,
            human_reviewed=True,
            human_decided=True,
            **common,
        )
    notice = item.notice
    if notice is None or review.occurred_at < notice.occurred_at:
        return None
    if notice.copy_of is not None or review.reviewer == SWEEP_REVIEWER:
        return Restriction(
            action=str(review.action), applied_at=review.occurred_at, basis="notice_copy", **common
        )
    return Restriction(
        action=str(review.action),
        applied_at=review.occurred_at,
        human_reviewed=True,
        human_decided=True,
        basis="notice",
        source_type=_notice_source(notice),
        **common,
    )


def _notice_source(notice: NoticeReceived) -> str:
    """The Transparency Database's source of a notice."""
    if notice.notifier is Notifier.TRUSTED_FLAGGER:
        return "SOURCE_TRUSTED_FLAGGER"
    if notice.notice_type is NoticeType.DSA_ILLEGAL_CONTENT:
        return "SOURCE_ARTICLE_16"
    return "SOURCE_TYPE_OTHER_NOTIFICATION"


def build_statements(found: Iterable[Restriction], config: SorConfig) -> list[dict[str, Any]]:
    return [statement_of_reasons(r, config) for r in found]


def write_batches(
    statements: Sequence[dict[str, Any]],
    out_dir: Path,
    *,
    allow_invalid: bool = False,
    batch_size: int = MAX_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> ExportResult:
    """Validate and write ``sor-00001.json``, ... (``{"statements": [...]}``, the body of
    ``POST /api/v1/statements``), each atomically. A batch with violations is not written
    unless ``allow_invalid``. ``on_batch(1)`` is called after each batch (progress)."""
    if not 1 <= batch_size <= MAX_BATCH:
        raise InvalidInput(f"batch size must be 1..{MAX_BATCH}, got {batch_size!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for number, start in enumerate(range(0, len(statements), batch_size), start=1):
        batch = list(statements[start : start + batch_size])
        violations = validate_batch(batch)
        path = None
        if allow_invalid or not violations:
            path = out_dir / f"sor-{number:05d}.json"
            body = json.dumps({"statements": batch}, indent=1, ensure_ascii=False) + "\n"
            write_bytes_atomic(path, body.encode("utf-8"))
        puids = tuple(str(s.get("puid", "")) for s in batch)
        results.append(BatchResult(path, puids, tuple(violations)))
        if on_batch is not None:
            on_batch(1)
    return ExportResult(tuple(results))
