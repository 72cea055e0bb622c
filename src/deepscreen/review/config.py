"""The review queue's parameters as plain values (built from ``[review]`` settings by
``bootstrap``); nothing here has a default, so every number is configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from deepscreen.core.decisions import Action
from deepscreen.core.errors import ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorityConfig:
    """Inputs of ``priority = p × severity × predicted views ÷ handling minutes``.

    ``score_signals``: signals whose score is ``p`` (0..1), first that scored wins;
    ``prior_probability``: ``p`` when none scored. ``segment_attribute``: the item attribute
    whose value selects ``severity_by_segment`` (else ``default_severity``).
    ``handling_minutes_by_kind``: per media kind (else ``default_handling_minutes``).
    ``default_predicted_views``: when no ``ViewsObserved`` was recorded for the item yet.
    """

    score_signals: tuple[str, ...]
    prior_probability: float
    segment_attribute: str
    severity_by_segment: Mapping[str, float]
    default_severity: float
    handling_minutes_by_kind: Mapping[str, float]
    default_handling_minutes: float
    default_predicted_views: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.prior_probability <= 1.0:
            raise ConfigError(
                f"prior_probability must be in [0, 1], got {self.prior_probability!r}"
            )
        minutes = [self.default_handling_minutes, *self.handling_minutes_by_kind.values()]
        if any(not m > 0 for m in minutes):
            raise ConfigError(f"handling minutes must be > 0, got {minutes!r}")
        weights = [self.default_severity, self.default_predicted_views]
        if any(not w >= 0 for w in [*weights, *self.severity_by_segment.values()]):
            raise ConfigError("severity weights and default predicted views must be >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewConfig:
    """Leases, SLAs, queues, gold items, reason codes and the pseudonym key.

    ``lease_seconds``: how long a claim lasts without renewal. ``sla_hours_by_queue``: the
    deadline after decision time per queue (else ``default_sla_hours``). ``default_queue``: for
    a review decision that names no queue. ``gold_share``: probability (0..1) that a claim is
    served a gold item. ``violating_action``: the action recorded when a reviewer confirms a
    violation and names none. ``pseudonym_secret``: the key of ``review.pseudonym``.
    """

    priority: PriorityConfig
    lease_seconds: float
    sla_hours_by_queue: Mapping[str, float]
    default_sla_hours: float
    default_queue: str
    appeals_queue: str
    gold_queue: str
    gold_share: float
    reason_codes: tuple[str, ...]
    violating_action: Action
    pseudonym_secret: bytes

    def __post_init__(self) -> None:
        if not 0.0 <= self.gold_share <= 1.0:
            raise ConfigError(f"gold_share must be in [0, 1], got {self.gold_share!r}")
        if not self.lease_seconds > 0:
            raise ConfigError(f"lease_seconds must be > 0, got {self.lease_seconds!r}")
        if not self.reason_codes:
            raise ConfigError("reason_codes must list at least one code")

    def sla_due(self, queue: str, since: datetime) -> datetime:
        """The SLA deadline of a task in ``queue`` whose clock started at ``since``."""
        hours = self.sla_hours_by_queue.get(queue, self.default_sla_hours)
        return since + timedelta(hours=hours)
