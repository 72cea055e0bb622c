"""The ``[takedown]`` settings as plain values (``TakedownConfig``): queue, bank, match threshold,
deadline per notice type, sweep on resolve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from deepscreen.core.banks import BANK_NAME, DEFAULT_PDQ_THRESHOLD
from deepscreen.core.errors import ConfigError
from deepscreen.core.events import NoticeType


@dataclass(frozen=True, slots=True, kw_only=True)
class TakedownConfig:
    """``[takedown]`` settings as plain values: the queue and block bank of takedowns, the
    bank's match threshold, the deadline per notice type (hours after receipt) and whether
    deciding a takedown sweeps the stored items for copies at once."""

    queue: str = "takedown"
    bank: str = "takedown"
    bank_threshold: int = DEFAULT_PDQ_THRESHOLD
    deadline_hours: Mapping[NoticeType, float] = field(
        default_factory=lambda: {
            NoticeType.NCII: 48.0,
            NoticeType.DSA_ILLEGAL_CONTENT: 24.0,
            NoticeType.OTHER: 72.0,
        }
    )
    sweep_on_resolve: bool = True

    def __post_init__(self) -> None:
        if not BANK_NAME.match(self.bank):
            raise ConfigError(f"[takedown] bank {self.bank!r} must be lower_snake_case")
        if not 0 <= self.bank_threshold <= 128:
            raise ConfigError(f"[takedown] bank_threshold {self.bank_threshold!r} not in [0, 128]")
        missing = set(NoticeType) - set(self.deadline_hours)
        if missing or any(not h > 0 for h in self.deadline_hours.values()):
            raise ConfigError("[takedown] needs a positive deadline for every notice type")

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> TakedownConfig:
        """From ``Settings.takedown.model_dump()``."""
        return cls(
            queue=str(values.get("queue", "takedown")),
            bank=str(values.get("bank", "takedown")),
            bank_threshold=int(values.get("bank_threshold", DEFAULT_PDQ_THRESHOLD)),
            deadline_hours={
                NoticeType.NCII: float(values.get("ncii_deadline_hours", 48.0)),
                NoticeType.DSA_ILLEGAL_CONTENT: float(values.get("dsa_deadline_hours", 24.0)),
                NoticeType.OTHER: float(values.get("other_deadline_hours", 72.0)),
            },
            sweep_on_resolve=bool(values.get("sweep_on_resolve", True)),
        )

    def deadline(self, notice_type: NoticeType, received_at: datetime) -> datetime:
        return received_at + timedelta(hours=self.deadline_hours[notice_type])
