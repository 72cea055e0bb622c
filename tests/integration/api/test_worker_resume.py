"""Acknowledged ingests survive a crash: a new app processes what the old one left pending."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role
from deepscreen.core.clock import ManualClock
from deepscreen.core.ingest import JobStatus

INGEST = Role.INGEST


def _submit(harness: ApiHarness, key: str, data: bytes) -> str:
    response = harness.client.post(
        "/v1/items",
        files={"media": ("a.png", data, "image/png")},
        headers={**harness.auth(INGEST), "Idempotency-Key": key},
    )
    assert response.status_code == 202, response.text
    return str(response.json()["job_id"])


def _wait_done(harness: ApiHarness, job_id: str) -> dict:
    """Poll the job (bounded: the worker thread runs on its own schedule)."""
    for _ in range(400):
        job = harness.client.get(f"/v1/items/{job_id}", headers=harness.auth(INGEST)).json()
        if job["status"] != "pending":
            return dict(job)
        time.sleep(0.025)
    raise AssertionError(f"job {job_id} still pending")


def test_a_pending_job_left_by_a_crash_is_processed_when_a_new_app_starts(
    make_harness: Callable[..., ApiHarness],
) -> None:
    crashed = make_harness()  # its lifespan never ran: no worker, as if it died after the 202
    job_id = _submit(crashed, "k-1", png_bytes())
    assert crashed.stores.jobs.get(job_id).status is JobStatus.PENDING
    crashed.close()

    restarted = make_harness(start_worker=True)
    with restarted.client:  # runs the lifespan: the worker starts and resumes the job
        job = _wait_done(restarted, job_id)
    assert job["status"] == "done" and job["result"]["decision"]["action"] == "label"
    assert len(restarted.services.store.decisions()) == 1


def test_a_job_claimed_by_a_worker_that_died_is_retried_after_its_lease(
    make_harness: Callable[..., ApiHarness],
) -> None:
    t0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    first = make_harness(clock=ManualClock(t0))
    job_id = _submit(first, "k-1", png_bytes())
    lease = timedelta(seconds=first.settings.api.ingest_lease_s)
    claimed = first.stores.jobs.claim(t0, t0 + lease)  # the worker took it, then died
    assert claimed is not None and claimed.job_id == job_id
    first.close()

    clock = ManualClock(t0 + lease - timedelta(seconds=1))
    second = make_harness(clock=clock)
    assert second.drain() == 0  # still leased to the dead worker
    clock.set(t0 + lease)
    assert second.drain() == 1
    job = second.client.get(f"/v1/items/{job_id}", headers=second.auth(INGEST)).json()
    assert job["status"] == "done"


def test_media_that_cannot_be_decoded_fails_the_job_with_its_error(
    harness: ApiHarness,
) -> None:
    truncated = png_bytes()[:60]  # a PNG signature, then nothing usable
    job_id = _submit(harness, "k-1", truncated)
    assert harness.drain() == 1
    job = harness.client.get(f"/v1/items/{job_id}", headers=harness.auth(INGEST)).json()
    assert job["status"] == "failed" and job["item_id"] is None
    assert job["error"]["code"] == "corrupt_media" and job["result"] is None
