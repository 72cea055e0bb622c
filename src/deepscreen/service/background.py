"""``BackgroundLoop``: a daemon thread that calls a function until stopped, waiting a fixed
interval, or until woken, between calls; the skeleton of the ingest worker and media purger."""

from __future__ import annotations

import threading
from collections.abc import Callable


class BackgroundLoop:
    """Calls ``body`` at ``start()`` and then every ``every_s`` seconds (sooner after
    ``wake()``) in a thread named ``name``; ``stop()`` ends it once the call in hand returns."""

    def __init__(self, body: Callable[[], object], *, every_s: float, name: str) -> None:
        self._body = body
        self._every_s = every_s
        self._name = name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called: a long body should return early."""
        return self._stop.is_set()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Call the body now rather than at the end of the interval."""
        self._wake.set()

    def stop(self, timeout_s: float | None = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._body()
            self._wake.wait(self._every_s)
