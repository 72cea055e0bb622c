"""What every in-memory fake shares (``InMemoryStore``): one lock, and ``close``, after which
each call raises ``StoreUnavailable``."""

from __future__ import annotations

import threading
from typing import ClassVar

from deepscreen.core.errors import StoreUnavailable


class InMemoryStore:
    """A fake's lock, and its state once closed; a call checks ``_check_open`` first."""

    closed_message: ClassVar[str]
    """What ``StoreUnavailable`` says after ``close``, e.g. "in-memory key store is closed"."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreUnavailable(self.closed_message)
