"""Injected time and ids: the shell passes these in, pure code never reads a clock."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
IdFactory = Callable[[], str]


def system_clock() -> datetime:
    """The wall clock, timezone-aware UTC."""
    return datetime.now(UTC)


def uuid4_ids() -> str:
    return uuid.uuid4().hex


class ManualClock:
    """A clock the caller moves: replays, simulations and the demo use it to stamp events."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def set(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now
