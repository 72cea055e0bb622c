"""The cost inputs every cost figure reads (``[costs]``): plain data, so wiring them needs no
statistics stack."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CostInputs:
    """Cost parameters from settings; ``None`` means not configured (no cost is then printed)."""

    currency: str = "USD"
    review_cost_per_item: float | None = None
    monthly_volume: int | None = None
    source: str = "settings"
