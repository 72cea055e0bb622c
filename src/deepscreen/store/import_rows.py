"""The ``imports`` rows both event store adapters keep, checked before any write."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.core.imports import ImportRecord


def import_values(record: ImportRecord) -> dict[str, Any]:
    """The ``imports`` row of ``record`` (``imported_at`` in UTC), or ``InvalidInput``."""
    if record.imported_at.utcoffset() is None:
        raise InvalidInput(
            f"import {record.source!r}: imported_at {record.imported_at.isoformat()!r} is a "
            "naive datetime; deepscreen stores timezone-aware times only"
        )
    for name in ("kind", "source"):
        value = getattr(record, name)
        if not isinstance(value, str) or "\x00" in value:
            raise InvalidInput(f"import {name} {value!r} must be a string without NUL characters")
    return {
        "kind": record.kind,
        "digest": record.digest,
        "source": record.source,
        "imported_at": record.imported_at.astimezone(UTC),
        "events": record.events,
    }


def import_record(row: Mapping[Any, Any]) -> ImportRecord:
    """An ``imports`` row (or ``import_values``) as reads return it: times in UTC."""
    at: datetime = row["imported_at"]
    return ImportRecord(
        kind=row["kind"],
        digest=row["digest"],
        source=row["source"],
        imported_at=at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC),
        events=int(row["events"]),
    )
