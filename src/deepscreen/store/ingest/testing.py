"""The ``IngestJobStore`` conformance kit: a job factory and ``IngestJobStoreContract``
(subclass it, give a ``store`` fixture yielding a fresh, empty store)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.core.errors import InvalidInput, StoreUnavailable
from deepscreen.core.ingest import IngestJob, JobError, JobStatus
from deepscreen.store.ingest.ports import IngestJobStore

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def make_job(n: int, *, key: str | None = None, digest: str = "d" * 64) -> IngestJob:
    at = T0 + timedelta(seconds=n)
    return IngestJob(
        job_id=f"job_{n}",
        idempotency_key=key if key is not None else f"k1/{n}",
        request_sha256=digest,
        status=JobStatus.PENDING,
        created_at=at,
        updated_at=at,
        filename=f"upload-{n}.png",
        attributes={"category": "news", "n": n},
        media=b"\x89PNG" + bytes([n % 256]) * 10,
    )


class IngestJobStoreContract:
    def test_submit_then_get_without_media(self, store: IngestJobStore) -> None:
        job, created = store.submit(make_job(1))
        assert created and job.media is None and job.status is JobStatus.PENDING
        got = store.get("job_1")
        assert got == job and got.attributes == {"category": "news", "n": 1}
        assert store.get("job_2") is None

    def test_same_idempotency_key_returns_the_stored_job(self, store: IngestJobStore) -> None:
        store.submit(make_job(1, key="k1/same"))
        job, created = store.submit(make_job(2, key="k1/same", digest="e" * 64))
        assert not created
        assert job.job_id == "job_1" and job.request_sha256 == "d" * 64
        assert store.get("job_2") is None and store.pending() == 1

    def test_concurrent_submits_of_one_key_make_one_job(self, store: IngestJobStore) -> None:
        barrier = threading.Barrier(8)

        def submit(n: int) -> tuple[str, bool]:
            barrier.wait()
            job, created = store.submit(make_job(n, key="k1/race"))
            return job.job_id, created

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(submit, range(8)))
        assert len({job_id for job_id, _ in results}) == 1
        assert sum(created for _, created in results) == 1
        assert store.pending() == 1

    def test_claim_takes_the_oldest_with_media_and_leases_it(self, store: IngestJobStore) -> None:
        store.submit(make_job(2))
        store.submit(make_job(1))
        now = T0 + timedelta(minutes=1)
        first = store.claim(now, now + LEASE)
        assert first is not None and first.job_id == "job_1"
        assert first.media == make_job(1).media and first.updated_at == now + LEASE
        second = store.claim(now, now + LEASE)
        assert second is not None and second.job_id == "job_2"
        assert store.claim(now, now + LEASE) is None  # both leased

    def test_an_expired_lease_makes_the_job_claimable_again(self, store: IngestJobStore) -> None:
        store.submit(make_job(1))
        now = T0 + timedelta(minutes=1)
        assert store.claim(now, now + LEASE) is not None
        assert store.claim(now + LEASE - timedelta(seconds=1), now + 2 * LEASE) is None
        again = store.claim(now + LEASE, now + 2 * LEASE)
        assert again is not None and again.job_id == "job_1"

    def test_a_job_is_not_claimable_before_its_time(self, store: IngestJobStore) -> None:
        store.submit(make_job(1))
        assert store.claim(T0, T0 + LEASE) is None  # created one second after T0

    def test_concurrent_claims_never_share_a_job(self, store: IngestJobStore) -> None:
        for n in range(6):
            store.submit(make_job(n))
        now = T0 + timedelta(minutes=1)
        barrier = threading.Barrier(6)

        def claim(_: int) -> str | None:
            barrier.wait()
            job = store.claim(now, now + LEASE)
            return None if job is None else job.job_id

        with ThreadPoolExecutor(6) as pool:
            claimed = [j for j in pool.map(claim, range(6)) if j is not None]
        assert len(claimed) == len(set(claimed))

    def test_complete_drops_media_and_records_the_item(self, store: IngestJobStore) -> None:
        store.submit(make_job(1))
        at = T0 + timedelta(minutes=2)
        store.complete("job_1", item_id="sha256:ab", result={"decision_id": "d1"}, at=at)
        job = store.get("job_1")
        assert job is not None and job.status is JobStatus.DONE
        assert job.item_id == "sha256:ab" and job.result == {"decision_id": "d1"}
        assert job.updated_at == at and store.pending() == 0
        assert store.claim(at + LEASE, at + 2 * LEASE) is None

    def test_fail_records_the_error_and_finishing_twice_changes_nothing(
        self, store: IngestJobStore
    ) -> None:
        store.submit(make_job(1))
        at = T0 + timedelta(minutes=2)
        store.fail("job_1", error=JobError("corrupt_media", "truncated"), at=at)
        store.complete("job_1", item_id="sha256:ab", result={}, at=at + LEASE)
        job = store.get("job_1")
        assert job is not None and job.status is JobStatus.FAILED
        assert job.error == JobError("corrupt_media", "truncated") and job.item_id is None

    def test_naive_times_are_refused(self, store: IngestJobStore) -> None:
        job = make_job(1)
        naive = IngestJob(
            job.job_id,
            job.idempotency_key,
            job.request_sha256,
            job.status,
            datetime(2025, 1, 1),
            datetime(2025, 1, 1),
            job.filename,
        )
        with pytest.raises(InvalidInput):
            store.submit(naive)

    def test_closed_store_is_unavailable(self, store: IngestJobStore) -> None:
        store.close()
        with pytest.raises(StoreUnavailable):
            store.pending()
