"""The server purges retained media on its own: an app with a media store and
``purge_every_hours`` > 0 deletes an expired copy during its lifespan, without anyone running
``deepscreen media purge``; with retention off or the schedule off there is no purger."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from deepscreen.api.context import ApiContext
from deepscreen.api.testing import ApiHarness, api_harness, png_bytes
from deepscreen.core.errors import ConfigError
from deepscreen.service.media import EXPIRED
from deepscreen.settings import Settings, load_settings
from deepscreen.store.media.ports import MediaGone, MediaStore, RetainedMedia

PAST = datetime(2020, 1, 1, tzinfo=UTC)


def settings(tmp_path: Path, **media: Any) -> Settings:
    store = {"backend": "local", "path": str(tmp_path / "kept"), **media}
    return load_settings(None, db_url="memory://", media_store=store)


@pytest.fixture
def harnesses() -> Iterator[list[ApiHarness]]:
    made: list[ApiHarness] = []
    yield made
    for harness in made:
        harness.close()


def keep(store: MediaStore | None, item_id: str, expires_at: datetime) -> None:
    assert store is not None
    data = png_bytes()
    digest = hashlib.sha256(data).hexdigest()
    store.put(RetainedMedia(item_id, "image/png", len(data), digest, PAST, expires_at), data)


def context(harness: ApiHarness) -> ApiContext:
    found = harness.app.state.context
    assert isinstance(found, ApiContext)
    return found


def test_the_server_deletes_an_expired_copy_during_its_lifespan(
    tmp_path: Path, harnesses: list[ApiHarness]
) -> None:
    harness = api_harness(settings=settings(tmp_path), start_worker=True)
    harnesses.append(harness)
    store = harness.services.media.store
    assert store is not None
    keep(store, "expired", PAST + timedelta(days=1))
    keep(store, "current", datetime.now(UTC) + timedelta(days=1))
    purger = context(harness).purger
    assert purger is not None and purger.every_s == 3600 and not purger.running

    with harness.client:  # the lifespan: the purger starts and purges at once
        assert purger.running
        for _ in range(400):
            if isinstance(store.info("expired"), MediaGone):
                break
            time.sleep(0.025)
        assert harness.client.get("/status/live").status_code == 200
    assert not purger.running
    gone = store.info("expired")
    assert isinstance(gone, MediaGone) and gone.reason == EXPIRED
    assert isinstance(store.info("current"), RetainedMedia)


def test_without_the_worker_the_purge_is_run_by_hand(
    tmp_path: Path, harnesses: list[ApiHarness]
) -> None:
    harness = api_harness(settings=settings(tmp_path, purge_every_hours=0.5))
    harnesses.append(harness)
    keep(harness.services.media.store, "expired", PAST + timedelta(days=1))
    purger = context(harness).purger
    assert purger is not None and purger.every_s == 1800
    with harness.client:
        assert not purger.running
    report = purger.run_once()
    assert report is not None and report.deleted_expired == 1


def test_no_purger_when_retention_or_the_schedule_is_off(
    tmp_path: Path, harnesses: list[ApiHarness]
) -> None:
    off = api_harness(settings=load_settings(None, db_url="memory://"), start_worker=True)
    never = api_harness(settings=settings(tmp_path, purge_every_hours=0), start_worker=True)
    harnesses.extend([off, never])
    assert context(off).purger is None and context(never).purger is None
    with off.client, never.client:
        pass


def test_the_schedule_setting_is_validated() -> None:
    assert load_settings(None, db_url="memory://").media_store.purge_every_hours == 1.0
    for bad in (-1, 169):
        with pytest.raises(ConfigError, match="purge_every_hours"):
            load_settings(None, db_url="memory://", media_store={"purge_every_hours": bad})
