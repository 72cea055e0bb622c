"""Review and appeal endpoints over SQLite and PostgreSQL: an item the policy routes to review
is claimed, decided with a reason code (a label the metrics count), appealed by the platform
and resolved by a different reviewer; every change is audited under the caller's key."""

from __future__ import annotations

import json

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role
from deepscreen.core.events import AppealResolved, ItemRestored, ReviewCompleted


def scan_to_review(harness: ApiHarness) -> str:
    """Declared AI in the sensitive `news` category: the shipped policy sends it to review."""
    response = harness.client.post(
        "/v1/scan",
        files={"media": ("news.png", png_bytes((9, 200, 9)), "image/png")},
        data={"attributes": json.dumps({"category": "news"})},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text
    assert response.json()["decision"]["action"] == "review"
    return str(response.json()["item_id"])


def claim(harness: ApiHarness, role: Role, queues: list[str] | None = None) -> dict:
    response = harness.client.post(
        "/v1/review/claim", json={"queues": queues or []}, headers=harness.auth(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_claim_decide_appeal_resolve(harness: ApiHarness) -> None:
    item_id = scan_to_review(harness)
    queues = harness.client.get("/v1/review/queues", headers=harness.auth(Role.ANALYST)).json()
    assert sum(c["tasks"] for c in queues["counts"] if c["status"] == "open") == 1

    task = claim(harness, Role.REVIEWER)["task"]
    assert task["item_id"] == item_id and task["lease_expires_at"] is not None
    assert claim(harness, Role.ADMIN)["task"] is None  # leased: never to a second reviewer

    bad = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/decision",
        json={"verdict": "violating", "reason_code": "not-a-code"},
        headers=harness.auth(Role.REVIEWER),
    )
    assert bad.status_code == 422 and "reason" in bad.json()["error"]["message"]
    other = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/decision",
        json={"verdict": "violating", "reason_code": "deepfake_of_real_person"},
        headers=harness.auth(Role.ADMIN),
    )
    assert other.status_code == 409  # the admin does not hold the lease
    reason = harness.settings.review.reason_codes[0]
    decided = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/decision",
        json={"verdict": "violating", "reason_code": reason, "label": "deepfake"},
        headers=harness.auth(Role.REVIEWER),
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "done" and decided.json()["recorded_review"]
    reviews = [
        e for e in harness.services.store.for_item(item_id) if isinstance(e, ReviewCompleted)
    ]
    assert [r.verdict.value for r in reviews] == ["violating"]
    assert reviews[0].reviewer != "" and reason == reviews[0].reason_code

    appeal = harness.client.post(
        "/v1/appeals",
        json={"item_id": item_id, "statement": "my own photo"},
        headers=harness.auth(Role.INGEST),
    )
    assert appeal.status_code == 201, appeal.text
    appeal_id = appeal.json()["task_id"]
    assert claim(harness, Role.REVIEWER, ["appeals"])["task"] is None  # not the first reviewer
    held = claim(harness, Role.ADMIN, ["appeals"])["task"]
    assert held["task_id"] == appeal_id
    resolved = harness.client.post(
        f"/v1/appeals/{appeal_id}/resolution",
        json={"outcome": "reversed", "reason_code": reason},
        headers=harness.auth(Role.ADMIN),
    )
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["restored"] is True
    events = harness.services.store.for_item(item_id)
    assert any(isinstance(e, AppealResolved) and e.outcome.value == "reversed" for e in events)
    assert any(isinstance(e, ItemRestored) for e in events)

    actions = [entry.action for entry in harness.stores.audit.entries(limit=100)]
    for action in ("review.claim", "review.decide", "appeal.open", "appeal.resolve"):
        assert action in actions


def test_release_and_renew_need_the_lease(harness: ApiHarness) -> None:
    scan_to_review(harness)
    task = claim(harness, Role.REVIEWER)["task"]
    renew = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/renew", headers=harness.auth(Role.REVIEWER)
    )
    assert renew.status_code == 200 and renew.json()["task_id"] == task["task_id"]
    stolen = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/release", headers=harness.auth(Role.ADMIN)
    )
    assert stolen.status_code == 409 and set(stolen.json()) == {"error"}
    released = harness.client.post(
        f"/v1/review/tasks/{task['task_id']}/release", headers=harness.auth(Role.REVIEWER)
    )
    assert released.status_code == 204
    assert claim(harness, Role.ADMIN)["task"]["task_id"] == task["task_id"]
    missing = harness.client.post(
        "/v1/review/tasks/review:nope/renew", headers=harness.auth(Role.REVIEWER)
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"]


def test_appeal_of_an_allowed_item_is_refused(harness: ApiHarness) -> None:
    plain = harness.client.post(
        "/v1/scan",
        files={"media": ("plain.png", png_bytes(ai_metadata=False), "image/png")},
        headers=harness.auth(Role.INGEST),
    ).json()
    assert plain["decision"]["action"] == "allow"
    refused = harness.client.post(
        "/v1/appeals", json={"item_id": plain["item_id"]}, headers=harness.auth(Role.INGEST)
    )
    assert refused.status_code in (404, 409, 422) and "nothing to appeal" in refused.text
