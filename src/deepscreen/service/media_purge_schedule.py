"""``MediaPurger``: a background thread that runs ``purge_media`` at start, then every ``every_s``,
while ``deepscreen serve`` runs (``[media_store] purge_every_hours``); safe in several processes
(the purge is idempotent), a failure logged and the next run on schedule."""

from __future__ import annotations

import logging

from deepscreen.core.clock import Clock
from deepscreen.service.background import BackgroundLoop
from deepscreen.service.media_purge import PurgeReport, purge_media
from deepscreen.service.scan import Services

log = logging.getLogger(__name__)


class MediaPurger:
    """Start with ``start()``, stop with ``stop()``; ``run_once()`` runs one purge in the
    calling thread (tests). ``clock`` defaults to ``services.clock``."""

    def __init__(self, services: Services, *, every_s: float, clock: Clock | None = None) -> None:
        if every_s <= 0:
            raise ValueError("every_s must be positive")
        self._services = services
        self._every_s = every_s
        self._clock = clock or services.clock
        self._loop = BackgroundLoop(self.run_once, every_s=every_s, name="deepscreen-media-purge")

    @property
    def every_s(self) -> float:
        return self._every_s

    @property
    def running(self) -> bool:
        return self._loop.running

    def start(self) -> None:
        self._loop.start()

    def stop(self, timeout_s: float | None = 30.0) -> None:
        """Stop now, or once the purge in hand is done (it is safe to cut short: idempotent)."""
        self._loop.stop(timeout_s)

    def run_once(self) -> PurgeReport | None:
        """One purge, its counts logged at INFO; None when it failed (logged, not raised)."""
        try:
            report = purge_media(self._services, now=self._clock())
        except Exception:  # noqa: BLE001 - keep the schedule alive; the failure is logged
            log.exception("scheduled media purge failed; next run in %.0f s", self._every_s)
            return None
        log.info(
            "media purge: examined %d copies, deleted %d expired and %d of restored items, "
            "kept %d for open tasks, freed %d bytes, forgot %d notes",
            report.kept,
            report.deleted_expired,
            report.deleted_restored,
            report.held_for_open_tasks,
            report.freed_bytes,
            report.notes_forgotten,
        )
        return report
