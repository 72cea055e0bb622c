"""Export EU DSA statements of reasons from the event log, validated, in batches of ≤ 100, each
file written atomically; which items get one: ``compliance.restrictions``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from deepscreen.compliance.batches import batch_body, batches
from deepscreen.compliance.batches import build_statements as build_statements
from deepscreen.compliance.restrictions import RESTRICTION_EVENTS, check_period, restrictions_in
from deepscreen.compliance.sor import Restriction
from deepscreen.compliance.validate import MAX_BATCH, Violation, validate_batch
from deepscreen.core.files import write_bytes_atomic
from deepscreen.store.events.ports import EventStore


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
    check_period(since, until)
    return restrictions_in(store.read(kinds=RESTRICTION_EVENTS), since=since, until=until)


def write_batches(
    statements: Sequence[dict[str, Any]],
    out_dir: Path,
    *,
    allow_invalid: bool = False,
    batch_size: int = MAX_BATCH,
    on_batch: Callable[[int], None] | None = None,
) -> ExportResult:
    """Validate and write ``sor-00001.json``, ... (``compliance.batches.batch_body``), each
    atomically. A batch with violations is not written unless ``allow_invalid``.
    ``on_batch(1)`` is called after each batch (progress)."""
    split = batches(statements, batch_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for number, batch in enumerate(split, start=1):
        violations = validate_batch(batch)
        path = None
        if allow_invalid or not violations:
            path = out_dir / f"sor-{number:05d}.json"
            write_bytes_atomic(path, batch_body(batch))
        puids = tuple(str(s.get("puid", "")) for s in batch)
        results.append(BatchResult(path, puids, tuple(violations)))
        if on_batch is not None:
            on_batch(1)
    return ExportResult(tuple(results))
