"""The scheduled media purge: deletes expired copies on each run, stops at once, and survives a
failing purge (logged; the next run still happens)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import StoreUnavailable
from deepscreen.service.media import EXPIRED, ReviewMedia
from deepscreen.service.media_purge_schedule import MediaPurger
from deepscreen.service.scan import Services
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.media.memory import InMemoryMediaStore
from deepscreen.store.media.ports import MediaGone, RetainedMedia

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def keep(store: InMemoryMediaStore, item_id: str, expires_at: datetime) -> None:
    digest = hashlib.sha256(GIF).hexdigest()
    store.put(RetainedMedia(item_id, "image/gif", len(GIF), digest, T0, expires_at), GIF)


def services_with(store: InMemoryMediaStore) -> Services:
    services = build(load_settings(None, db_url="memory://"), store=InMemoryEventStore())
    return dataclasses.replace(services, media=ReviewMedia(store=store, retention=2 * DAY))


class FlakyStore(InMemoryMediaStore):
    """Unreadable for its first ``failures`` listings; counts every listing."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.listings = 0
        self.listed = threading.Event()

    def records(self) -> Iterator[RetainedMedia]:
        self.listings += 1
        if self.listings > 1:
            self.listed.set()
        if self.listings <= self.failures:
            raise StoreUnavailable("media store offline")
        return super().records()


def test_run_once_deletes_expired_copies_and_keeps_the_others() -> None:
    store = InMemoryMediaStore()
    keep(store, "old", T0 + DAY)
    keep(store, "new", T0 + 3 * DAY)
    clock = ManualClock(T0 + 2 * DAY)
    purger = MediaPurger(services_with(store), every_s=3600, clock=clock)
    report = purger.run_once()
    assert report is not None and (report.kept, report.deleted_expired) == (2, 1)
    assert store.info("old") == MediaGone("old", T0 + 2 * DAY, EXPIRED)
    assert store.info("new") is not None
    clock.set(T0 + 4 * DAY)
    assert purger.run_once() is not None
    assert list(store.records()) == []


def test_a_failing_purge_is_logged_and_the_next_run_still_happens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = FlakyStore(failures=1)
    keep(store, "old", T0 + DAY)
    purger = MediaPurger(services_with(store), every_s=3600, clock=ManualClock(T0 + 2 * DAY))
    with caplog.at_level(logging.INFO):
        assert purger.run_once() is None
        assert "scheduled media purge failed" in caplog.text and "offline" in caplog.text
        report = purger.run_once()
    assert report is not None and report.deleted_expired == 1
    assert "media purge: examined 1 copies, deleted 1 expired" in caplog.text


def test_the_thread_survives_a_failing_purge_and_runs_again() -> None:
    store = FlakyStore(failures=1)
    keep(store, "old", T0 + DAY)
    purger = MediaPurger(services_with(store), every_s=0.01, clock=ManualClock(T0 + 2 * DAY))
    purger.start()
    try:
        assert store.listed.wait(10), "the purge did not run again after failing"
    finally:
        purger.stop()
    assert not purger.running
    assert isinstance(store.info("old"), MediaGone)


def test_stop_returns_promptly_between_runs() -> None:
    store = FlakyStore(failures=0)
    purger = MediaPurger(services_with(store), every_s=3600, clock=ManualClock(T0))
    purger.start()
    for _ in range(400):  # the first run happens at start
        if store.listings:
            break
        time.sleep(0.005)
    assert store.listings == 1 and purger.running
    stopper = threading.Thread(target=purger.stop)
    stopper.start()  # the next run is an hour away: stop() must not wait for it
    stopper.join(60)
    assert not stopper.is_alive(), "stop() waited for the next run"
    assert not purger.running
    assert store.listings == 1


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        MediaPurger(services_with(InMemoryMediaStore()), every_s=0)
