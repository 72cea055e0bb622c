"""The backfill driver: a stream of records → an engine → batched, idempotent writes; an
interrupted run resumes where it stopped, losing at most the batches in flight (how:
docs/internals/scale.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from deepscreen.scale.engines import Engine, batched
from deepscreen.scale.manifest import BadRow
from deepscreen.scale.records import Decided, UploadRecord
from deepscreen.scale.writer import Status, Tally, Written, store_decided
from deepscreen.service.scan import Services

Progress = Callable[[list[Written]], None]


def run_backfill(
    services: Services,
    rows: Iterable[UploadRecord | BadRow],
    engine: Engine,
    *,
    batch_size: int = 32,
    on_batch: Progress | None = None,
) -> Tally:
    """Decide every record with ``engine`` and store the decisions with ``services.store``."""
    tally = Tally()
    skipped: list[Written] = []

    def records() -> Iterator[UploadRecord]:
        for row in rows:
            if isinstance(row, BadRow):
                skipped.append(Written(Decided(row.where, None, error=row.error), Status.FAILED))
            else:
                yield row

    def todo() -> Iterator[list[UploadRecord]]:
        for batch in batched(records(), batch_size):
            fresh = []
            for record in batch:
                if record.item_id and services.store.has_item(record.item_id):
                    done = Decided(record.source, record.item_id)
                    skipped.append(Written(done, Status.ALREADY_STORED))
                else:
                    fresh.append(record)
            if fresh:
                yield fresh

    for decided in engine.run(todo()):
        written = store_decided(services, decided)
        if skipped:
            written = [*skipped, *written]
            skipped.clear()
        tally.add(written)
        if on_batch is not None:
            on_batch(written)
    if skipped:
        tally.add(skipped)
        if on_batch is not None:
            on_batch(list(skipped))
    return tally
