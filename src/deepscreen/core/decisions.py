"""Decisions: which action a policy revision chose for an item, and on what inputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deepscreen.core.media import ItemId


class Action(StrEnum):
    """What happens to an item. ``review`` routes it to people; the others enforce or allow."""

    ALLOW = "allow"
    LABEL = "label"
    DOWNRANK = "downrank"
    AGE_GATE = "age_gate"
    REMOVE = "remove"
    REVIEW = "review"

    @property
    def is_enforcement(self) -> bool:
        """True for actions that restrict or annotate the item (everything but allow/review)."""
        return self not in (Action.ALLOW, Action.REVIEW)


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision, as recorded in the event log (OPA's decision-log idea).

    ``rule_id`` is the rule that fired; ``None`` means the policy default applied.
    ``inputs`` are the exact values the policy evaluated (``signals`` and ``item``), so the
    decision can be explained and replayed.
    """

    decision_id: str
    item_id: ItemId
    policy_revision: str
    rule_id: str | None
    action: Action
    decided_at: datetime
    action_params: Mapping[str, str] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)
    detector_versions: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()
