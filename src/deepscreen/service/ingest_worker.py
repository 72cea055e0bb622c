"""``IngestWorker``: a background thread that drains pending ingest jobs, then sleeps until woken
by a new submission or ``poll_s`` passes (picking up jobs left by a crash or submitted to other
processes); a backend error pauses it for ``poll_s``."""

from __future__ import annotations

import logging

from deepscreen.core.errors import BackendError
from deepscreen.service.background import BackgroundLoop
from deepscreen.service.hosted import HostedStores
from deepscreen.service.ingest import process_next_job
from deepscreen.service.scan import Services

log = logging.getLogger(__name__)


class IngestWorker:
    """Start with ``start()``, stop with ``stop()``; ``drain()`` runs the same loop body once
    in the calling thread (tests, one-shot commands)."""

    def __init__(
        self, services: Services, stores: HostedStores, *, lease_s: float, poll_s: float
    ) -> None:
        self._services = services
        self._stores = stores
        self._lease_s = lease_s
        self._poll_s = poll_s
        self._loop = BackgroundLoop(self._drain_logged, every_s=poll_s, name="deepscreen-ingest")

    @property
    def running(self) -> bool:
        return self._loop.running

    def start(self) -> None:
        self._loop.start()

    def wake(self) -> None:
        """Tell the worker a job was just submitted."""
        self._loop.wake()

    def stop(self, timeout_s: float | None = 30.0) -> None:
        """Finish the job in hand, then stop (a job not finished stays pending for later)."""
        self._loop.stop(timeout_s)

    def drain(self) -> int:
        """Process claimable jobs until none is left (or ``stop``); returns how many."""
        done = 0
        while not self._loop.stopping and process_next_job(
            self._services, self._stores, lease_s=self._lease_s
        ):
            done += 1
        return done

    def _drain_logged(self) -> None:
        try:
            self.drain()
        except BackendError as exc:
            log.warning("ingest worker paused: %s", exc)
        except Exception:  # noqa: BLE001 - keep the thread alive; the bug is logged
            log.exception("ingest worker error")
