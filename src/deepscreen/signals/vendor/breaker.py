"""The vendor detector's circuit breaker: after consecutive failures, calls are refused at once
until a single trial call shows the vendor has recovered."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

from deepscreen.core.errors import ConfigError

Clock = Callable[[], float]
BreakerState = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    """Consecutive-failure circuit breaker, safe to share between threads.

    ``closed``: calls go through. After ``failure_threshold`` consecutive failed calls it turns
    ``open`` for ``reset_after_s``: ``allow()`` refuses at once. When that time has passed the
    next ``allow()`` turns it ``half_open`` and lets exactly one trial call through (others are
    refused while it runs); ``record_success()`` closes the circuit, ``record_failure()`` opens
    it again for another ``reset_after_s``. Every ``allow()`` that returned True must be
    followed by one ``record_success()`` or ``record_failure()``.
    """

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after_s: float = 60.0,
        *,
        clock: Clock = time.monotonic,
    ) -> None:
        if failure_threshold < 1 or reset_after_s <= 0:
            raise ConfigError("circuit breaker needs failure_threshold >= 1 and reset_after_s > 0")
        self.failure_threshold = failure_threshold
        self.reset_after_s = reset_after_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0

    @property
    def state(self) -> BreakerState:
        """The state as of the last transition (open turns half-open on the next ``allow()``)."""
        with self._lock:
            return self._state

    @property
    def failures(self) -> int:
        """Consecutive failed calls so far (reset by a success)."""
        with self._lock:
            return self._failures

    def allow(self) -> bool:
        with self._lock:
            if self._state == "closed":
                return True
            if self._state == "open" and self._clock() - self._opened_at >= self.reset_after_s:
                self._state = "half_open"  # this caller makes the one trial call
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._state = "closed"
            self._failures = 0

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == "half_open" or self._failures >= self.failure_threshold:
                self._state = "open"
                self._opened_at = self._clock()

    def retry_after(self) -> float:
        """Seconds until an open circuit lets a trial call through; 0 when not open."""
        with self._lock:
            if self._state != "open":
                return 0.0
            return max(0.0, self.reset_after_s - (self._clock() - self._opened_at))
