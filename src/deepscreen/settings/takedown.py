"""Takedown settings (``[takedown]``): the notice queue, deadlines and bank."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TakedownSettings(BaseModel):
    """Takedown requests (``deepscreen notice``, ``POST /v1/notices``; docs/takedown.md): the
    queue their tasks go to (ranked above every review task), the deadline per notice type in
    hours after receipt (each task's SLA), and the block bank a removal banks the item's hashes
    in so that copies are removed at upload (the shipped policy's rule ``remove_takedown_copy``
    names this bank in its parameter ``takedown_bank``: change both together)."""

    model_config = ConfigDict(extra="forbid")
    queue: str = Field("takedown", min_length=1, max_length=63, description="Queue of the tasks.")
    bank: str = Field(
        "takedown",
        pattern=r"^[a-z][a-z0-9_]{0,62}$",
        description="Block bank of removed takedown items (created on first use).",
    )
    bank_threshold: int = Field(
        31, ge=0, le=128, description="PDQ Hamming distance at which a hash matches the bank."
    )
    ncii_deadline_hours: float = Field(
        48.0,
        gt=0,
        le=48,
        description="Non-consensual intimate imagery: the TAKE IT DOWN Act's 48 hours at most.",
    )
    dsa_deadline_hours: float = Field(
        24.0,
        gt=0,
        le=720,
        description="EU DSA notices of illegal content (the DSA sets no fixed time: "
        "'timely'; 24 h is a common target).",
    )
    other_deadline_hours: float = Field(72.0, gt=0, le=720, description="Other notices.")
    sweep_on_resolve: bool = Field(
        True,
        description="Sweep the stored items for copies when a takedown is decided (else only "
        "`deepscreen notice sweep`); each task keeps the value it was opened with.",
    )
