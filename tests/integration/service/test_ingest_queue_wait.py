"""An item processed from the ingest queue is ingested when it was submitted: time to detect is
the queue's wait, not 0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from deepscreen.api.testing import api_harness, png_bytes
from deepscreen.core.access import Principal, Role
from deepscreen.core.clock import ManualClock
from deepscreen.impact.metrics import metric_table
from deepscreen.service.impact import store_items
from deepscreen.service.ingest import process_next_job, submit_item

T0 = datetime(2026, 10, 5, 9, tzinfo=UTC)


def test_time_to_detect_is_the_wait_in_the_queue() -> None:
    clock = ManualClock(T0)
    harness = api_harness(clock=clock)
    try:
        principal = Principal("k-1", Role.INGEST)
        submit_item(
            harness.services,
            harness.stores,
            principal=principal,
            idempotency_key="one",
            filename="a.png",
            attributes={},
            media=png_bytes(),
        )
        clock.set(T0 + timedelta(minutes=12))
        assert process_next_job(harness.services, harness.stores, lease_s=60)
        items = store_items(harness.services)
    finally:
        harness.close()
    row = items.to_pylist()[0]
    assert row["ingested_at"] == T0
    assert row["detected_at"] == T0 + timedelta(minutes=12)
    assert row["decided_at"] == T0 + timedelta(minutes=12)
    table = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    median = next(r for r in table.to_pylist() if r["metric"] == "time_to_detect_median_hours")
    assert median["value"] == 0.2 and median["n"] == 1
