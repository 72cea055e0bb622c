"""The ``imports`` rows both event store adapters keep, checked before any write."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.core.imports import ImportRecord
from deepscreen.store.times import STORES_AWARE_ONLY, require_aware, stored_utc

_NAIVE = "{what} {iso!r} is a naive datetime" + STORES_AWARE_ONLY


def import_values(record: ImportRecord) -> dict[str, Any]:
    """The ``imports`` row of ``record`` (``imported_at`` in UTC), or ``InvalidInput``."""
    imported_at = require_aware(
        record.imported_at,
        f"import {record.source!r}: imported_at",
        _NAIVE,
    )
    for name in ("kind", "source"):
        value = getattr(record, name)
        if not isinstance(value, str) or "\x00" in value:
            raise InvalidInput(f"import {name} {value!r} must be a string without NUL characters")
    return {
        "kind": record.kind,
        "digest": record.digest,
        "source": record.source,
        "imported_at": imported_at,
        "events": record.events,
    }


def import_record(row: Mapping[Any, Any]) -> ImportRecord:
    """An ``imports`` row (or ``import_values``) as reads return it: times in UTC."""
    return ImportRecord(
        kind=row["kind"],
        digest=row["digest"],
        source=row["source"],
        imported_at=stored_utc(row["imported_at"]),
        events=int(row["events"]),
    )
