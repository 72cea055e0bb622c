"""``InMemoryIngestJobStore``: a thread-safe fake of the ``IngestJobStore`` contract."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.core.ingest import IngestJob, JobError, JobStatus
from deepscreen.store.memory import InMemoryStore
from deepscreen.store.times import require_aware


class InMemoryIngestJobStore(InMemoryStore):
    """Jobs in a dict, behind a lock (not durable: a restart loses them)."""

    closed_message = "in-memory ingest job store is closed"

    def __init__(self) -> None:
        super().__init__()
        self._jobs: dict[str, IngestJob] = {}
        self._by_key: dict[str, str] = {}

    def submit(self, job: IngestJob) -> tuple[IngestJob, bool]:
        created_at = require_aware(job.created_at, "created_at")
        updated_at = require_aware(job.updated_at, "updated_at")
        try:
            json.dumps(dict(job.attributes), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"job attributes are not JSON: {exc}") from exc
        with self._lock:
            self._check_open()
            existing = self._by_key.get(job.idempotency_key)
            if existing is not None:
                return _without_media(self._jobs[existing]), False
            if job.job_id in self._jobs:
                raise InvalidInput(f"ingest job id {job.job_id!r} already exists")
            stored = dataclasses.replace(
                job,
                created_at=created_at,
                updated_at=updated_at,
                attributes=dict(job.attributes),
            )
            self._jobs[job.job_id] = stored
            self._by_key[job.idempotency_key] = job.job_id
            return _without_media(stored), True

    def get(self, job_id: str) -> IngestJob | None:
        with self._lock:
            self._check_open()
            job = self._jobs.get(job_id)
        return None if job is None else _without_media(job)

    def claim(self, now: datetime, lease_until: datetime) -> IngestJob | None:
        with self._lock:
            self._check_open()
            ready = [
                j
                for j in self._jobs.values()
                if j.status is JobStatus.PENDING and j.updated_at <= now
            ]
            if not ready:
                return None
            job = min(ready, key=lambda j: (j.created_at, j.job_id))
            claimed = dataclasses.replace(job, updated_at=lease_until.astimezone(UTC))
            self._jobs[job.job_id] = claimed
            return claimed

    def complete(
        self, job_id: str, *, item_id: str, result: Mapping[str, Any], at: datetime
    ) -> None:
        self._finish(job_id, at, status=JobStatus.DONE, item_id=item_id, result=dict(result))

    def fail(self, job_id: str, *, error: JobError, at: datetime) -> None:
        self._finish(job_id, at, status=JobStatus.FAILED, error=error)

    def pending(self) -> int:
        with self._lock:
            self._check_open()
            return sum(1 for j in self._jobs.values() if j.status is JobStatus.PENDING)

    def _finish(self, job_id: str, at: datetime, **changes: Any) -> None:
        with self._lock:
            self._check_open()
            job = self._jobs.get(job_id)
            if job is None or job.status is not JobStatus.PENDING:
                return
            self._jobs[job_id] = dataclasses.replace(
                job, media=None, updated_at=at.astimezone(UTC), **changes
            )


def _without_media(job: IngestJob) -> IngestJob:
    return dataclasses.replace(job, media=None)
