"""The events deepscreen records. Nothing is edited in place: a review is a new event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal

from deepscreen.core.decisions import Decision
from deepscreen.core.media import AttributeValue, ItemId, MediaKind
from deepscreen.core.signals import SignalResult


class Verdict(StrEnum):
    """A reviewer's (or a ground-truth label's) answer: does the item violate the policy?"""

    VIOLATING = "violating"
    NOT_VIOLATING = "not_violating"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemIngested:
    type: Literal["item_ingested"] = "item_ingested"
    item_id: ItemId
    occurred_at: datetime
    kind: MediaKind
    mime: str
    width: int
    height: int
    size_bytes: int
    source: str = ""
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalsComputed:
    type: Literal["signals_computed"] = "signals_computed"
    item_id: ItemId
    occurred_at: datetime
    results: tuple[SignalResult, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionMade:
    type: Literal["decision_made"] = "decision_made"
    item_id: ItemId
    occurred_at: datetime
    decision: Decision


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewCompleted:
    """A human (or an imported ground-truth label) judged an item.

    ``reviewer`` names who: a person's id, or e.g. ``label-import:<file>`` for label files.
    ``label`` is the finer class (``ai_generated``, ``deepfake``, ``real``, ...).
    """

    type: Literal["review_completed"] = "review_completed"
    item_id: ItemId
    occurred_at: datetime
    verdict: Verdict
    reviewer: str
    label: str = ""
    reason_code: str = ""
    decision_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewsObserved:
    """``views`` new views of an item counted in the window ending at ``occurred_at``."""

    type: Literal["views_observed"] = "views_observed"
    item_id: ItemId
    occurred_at: datetime
    views: int

    def __post_init__(self) -> None:
        if self.views < 0:
            raise ValueError(f"views must be >= 0, got {self.views!r}")


Event = ItemIngested | SignalsComputed | DecisionMade | ReviewCompleted | ViewsObserved
EVENT_TYPES: tuple[str, ...] = (
    "item_ingested",
    "signals_computed",
    "decision_made",
    "review_completed",
    "views_observed",
)
