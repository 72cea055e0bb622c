"""Import kinds, their columns and rows: each row parsed (checked and normalised) into a record
and built into its event."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    Event,
    NoticeReceived,
    Notifier,
    ReviewCompleted,
    Verdict,
    ViewsObserved,
)
from deepscreen.service.impact_import_cells import choice, flag, moment, text, whole

MAX_VIEWS_PER_ROW = 10**12
"""New views in one row: a trillion, above any real item's lifetime views (the API's limit too)."""


class ImportKind(StrEnum):
    VIEWS = "views"
    LABELS = "labels"
    APPEALS = "appeals"
    NOTICES = "notices"


COLUMNS: dict[ImportKind, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required columns, optional columns)
    ImportKind.VIEWS: (("item_id", "occurred_at", "views"), ()),
    ImportKind.LABELS: (("item_id", "violating"), ("occurred_at", "label", "reviewer")),
    ImportKind.APPEALS: (
        ("item_id", "received_at", "decided_at", "outcome"),
        ("decision_id",),
    ),
    ImportKind.NOTICES: (("item_id", "occurred_at"), ("notifier",)),
}

Row = Mapping[str, Any]
"""One data row: cell values by column (text from CSV; text, numbers, times from Parquet)."""
Record = dict[str, Any]
"""One row checked and normalised (times in UTC, whole numbers, lower-case choices): what the
events are built from and what the content digest is computed over."""


# --- rows: parse (check and normalise) and build (the event)


def parse_views(row: Row) -> Record:
    return {
        "item_id": text(row["item_id"], "item_id"),
        "occurred_at": moment(row["occurred_at"], "occurred_at"),
        "views": whole(row["views"], "views", 0, MAX_VIEWS_PER_ROW),
    }


def parse_labels(row: Row) -> Record:
    at = row.get("occurred_at")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "violating": flag(row["violating"], "violating"),
        "occurred_at": moment(at, "occurred_at") if text_or_value(at) else None,
        "label": text(row.get("label"), "label", required=False),
        "reviewer": text(row.get("reviewer"), "reviewer", required=False),
    }


def parse_appeals(row: Row) -> Record:
    received = moment(row["received_at"], "received_at")
    decided = moment(row["decided_at"], "decided_at")
    if received > decided:
        raise ValueError("an appeal cannot be decided before it was received")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "received_at": received,
        "decided_at": decided,
        "outcome": choice(row["outcome"], "outcome", (o.value for o in AppealOutcome)),
        "decision_id": text(row.get("decision_id"), "decision_id", required=False),
    }


def parse_notices(row: Row) -> Record:
    notifier = row.get("notifier")
    return {
        "item_id": text(row["item_id"], "item_id"),
        "occurred_at": moment(row["occurred_at"], "occurred_at"),
        "notifier": choice(notifier, "notifier", (n.value for n in Notifier))
        if text_or_value(notifier)
        else Notifier.USER.value,
    }


def text_or_value(value: Any) -> bool:
    """Is an optional cell filled (not None, not blank text)?"""
    return value is not None and not (isinstance(value, str) and not value.strip())


def _views(record: Record, now: datetime, path: Path) -> Event:
    return ViewsObserved(
        item_id=record["item_id"], occurred_at=record["occurred_at"], views=record["views"]
    )


def _labels(record: Record, now: datetime, path: Path) -> Event:
    return ReviewCompleted(
        item_id=record["item_id"],
        occurred_at=record["occurred_at"] or now,
        verdict=Verdict.VIOLATING if record["violating"] else Verdict.NOT_VIOLATING,
        reviewer=record["reviewer"] or f"label-import:{path.name}",
        label=record["label"] or "",
        reason_code="label_import",
    )


def _appeals(record: Record, now: datetime, path: Path) -> Event:
    return AppealResolved(
        item_id=record["item_id"],
        occurred_at=record["decided_at"],
        received_at=record["received_at"],
        outcome=AppealOutcome(record["outcome"]),
        decision_id=record["decision_id"],
    )


def _notices(record: Record, now: datetime, path: Path) -> Event:
    return NoticeReceived(
        item_id=record["item_id"],
        occurred_at=record["occurred_at"],
        notifier=Notifier(record["notifier"]),
    )


_PARSERS: dict[ImportKind, Callable[[Row], Record]] = {
    ImportKind.VIEWS: parse_views,
    ImportKind.LABELS: parse_labels,
    ImportKind.APPEALS: parse_appeals,
    ImportKind.NOTICES: parse_notices,
}
_BUILDERS: dict[ImportKind, Callable[[Record, datetime, Path], Event]] = {
    ImportKind.VIEWS: _views,
    ImportKind.LABELS: _labels,
    ImportKind.APPEALS: _appeals,
    ImportKind.NOTICES: _notices,
}
