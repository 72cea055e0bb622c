"""What a 200 of ``POST /v1/scan`` promises: before the response is sent, the decision, its
review task and its audit row are committed — a new connection to the database (another server
process, or this one after a restart) sees all three (docs/reliability-api.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role


def test_a_scan_answered_200_is_committed_with_its_task_and_audit_row(
    make_harness: Callable[..., ApiHarness], database: Any
) -> None:
    harness = make_harness()
    response = harness.client.post(
        "/v1/scan",
        files={"media": ("a.png", png_bytes(), "image/png")},
        data={"attributes": json.dumps({"category": "news"})},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["decision"]["action"] == "review"  # so a review task is part of the write
    # New engines, so new connections: they see only what was committed.
    store, stores = database.event_store(), database.hosted()
    try:
        decision = store.latest_decision(body["item_id"])
        assert decision is not None
        assert decision.decision_id == body["decision"]["decision_id"]
        queue = store.open_review_queue()
        try:
            tasks = queue.list_tasks(item_id=body["item_id"])
        finally:
            queue.close()
        assert [t.task_id for t in tasks] == [f"review:{decision.decision_id}"]
        scans = [e for e in stores.audit.entries() if e.action == "items.scan"]
        assert [(e.target, e.details["decision_id"]) for e in scans] == [
            (body["item_id"], decision.decision_id)
        ]
    finally:
        store.close()
        stores.close()
