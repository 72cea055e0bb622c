"""Asynchronous ingest is idempotent: one job per caller and key, one item per media."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Principal, Role
from deepscreen.service.ingest import submit_item

INGEST = Role.INGEST


def _submit(harness: ApiHarness, key: str, data: bytes, *, role: Role = INGEST, name="a.png"):
    return harness.client.post(
        "/v1/items",
        files={"media": (name, data, "image/png")},
        headers={**harness.auth(role), "Idempotency-Key": key},
    )


def test_the_same_key_twice_is_one_job_and_one_item(harness: ApiHarness) -> None:
    first = _submit(harness, "k-1", png_bytes())
    again = _submit(harness, "k-1", png_bytes())
    assert first.status_code == again.status_code == 202
    assert again.json()["job_id"] == first.json()["job_id"]
    assert harness.drain() == 1
    done = _submit(harness, "k-1", png_bytes())
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["job_id"] == first.json()["job_id"]
    assert len(harness.services.store.decisions()) == 1
    submits = [e for e in harness.stores.audit.entries() if e.action == "items.submit"]
    assert len(submits) == 1


def test_the_same_key_with_another_request_is_a_conflict(harness: ApiHarness) -> None:
    first = _submit(harness, "k-1", png_bytes())
    other_media = _submit(harness, "k-1", png_bytes((1, 2, 3)))
    other_name = _submit(harness, "k-1", png_bytes(), name="b.png")
    for refused in (other_media, other_name):
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "idempotency_conflict"
    assert harness.stores.jobs.pending() == 1
    assert harness.drain() == 1
    job = harness.client.get(f"/v1/items/{first.json()['job_id']}", headers=harness.auth(INGEST))
    assert job.json()["status"] == "done"


def test_the_same_media_under_two_keys_is_two_jobs_and_one_item(harness: ApiHarness) -> None:
    a = _submit(harness, "k-1", png_bytes()).json()
    b = _submit(harness, "k-2", png_bytes()).json()
    assert a["job_id"] != b["job_id"]
    assert harness.drain() == 2
    jobs = [
        harness.client.get(f"/v1/items/{j['job_id']}", headers=harness.auth(INGEST)).json()
        for j in (a, b)
    ]
    assert jobs[0]["item_id"] == jobs[1]["item_id"]
    assert sorted(j["result"]["already_stored"] for j in jobs) == [False, True]
    assert len(harness.services.store.decisions()) == 1


def test_keys_are_scoped_to_the_caller(harness: ApiHarness) -> None:
    mine = _submit(harness, "k-1", png_bytes()).json()
    theirs = _submit(harness, "k-1", png_bytes((9, 9, 9)), role=Role.ADMIN)
    assert theirs.status_code == 202 and theirs.json()["job_id"] != mine["job_id"]


def test_concurrent_requests_with_one_key_make_one_job(harness: ApiHarness) -> None:
    barrier = threading.Barrier(6)

    def submit(_: int) -> str:
        barrier.wait()
        response = _submit(harness, "race", png_bytes())
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    with ThreadPoolExecutor(6) as pool:
        job_ids = set(pool.map(submit, range(6)))
    assert len(job_ids) == 1
    assert harness.stores.jobs.pending() == 1
    assert harness.drain() == 1 and len(harness.services.store.decisions()) == 1


def test_concurrent_submissions_in_the_service_make_one_job(harness: ApiHarness) -> None:
    principal = Principal("k1", INGEST)
    barrier = threading.Barrier(8)

    def submit(_: int) -> tuple[str, bool]:
        barrier.wait()
        s = submit_item(
            harness.services,
            harness.stores,
            principal=principal,
            idempotency_key="race",
            filename="a.png",
            attributes={},
            media=png_bytes(),
        )
        return s.job.job_id, s.created

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(submit, range(8)))
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_the_idempotency_key_is_required_and_checked(harness: ApiHarness) -> None:
    missing = harness.client.post(
        "/v1/items",
        files={"media": ("a.png", png_bytes(), "image/png")},
        headers=harness.auth(INGEST),
    )
    assert missing.status_code == 422 and "Idempotency-Key" in missing.json()["error"]["message"]
    bad = _submit(harness, "spaces are not ok", png_bytes())
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    assert harness.stores.jobs.pending() == 0
