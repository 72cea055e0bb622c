"""The event log as an Arrow table, for analytics (DuckDB, Polars): read in chunks, no decoding."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from deepscreen.store.events.ports import EventRecord, EventStore

EVENTS_ARROW_SCHEMA = pa.schema(
    [
        ("seq", pa.int64()),
        ("event_type", pa.string()),
        ("item_id", pa.string()),
        ("occurred_at", pa.timestamp("us", tz="UTC")),
        ("payload", pa.string()),
    ]
)


def events_table(
    store: EventStore,
    *,
    chunk_size: int = 100_000,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """Every stored event as (seq, event_type, item_id, occurred_at, payload) columns."""
    batches = [
        pa.RecordBatch.from_arrays(
            [
                pa.array(column, type=field.type)
                for column, field in zip(columns, EVENTS_ARROW_SCHEMA, strict=True)
            ],
            schema=EVENTS_ARROW_SCHEMA,
        )
        for columns in _chunks(store.read_rows(), chunk_size, progress)
    ]
    return pa.Table.from_batches(batches, schema=EVENTS_ARROW_SCHEMA)


def _chunks(
    rows: Iterator[EventRecord], size: int, progress: Callable[[int], None] | None
) -> Iterator[tuple[list[object], ...]]:
    chunk: list[EventRecord] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield tuple(map(list, zip(*chunk, strict=True)))
            if progress is not None:
                progress(len(chunk))
            chunk = []
    if chunk:
        yield tuple(map(list, zip(*chunk, strict=True)))
        if progress is not None:
            progress(len(chunk))
