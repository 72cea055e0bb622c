"""The ``IngestJobStore`` port: acknowledged asynchronous ingests, claimed under a lease."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from deepscreen.core.ingest import IngestJob, JobError


class IngestJobStore(Protocol):
    """Ingest jobs: written before the request is acknowledged, processed at least once.

    Obligations:
    - ``submit`` stores a new ``PENDING`` job in one transaction and returns ``(job, True)``;
      when a job with the same ``idempotency_key`` exists it writes nothing and returns
      ``(stored job, False)``. Safe under concurrent submitters: one job per key.
    - ``get`` returns the job without its media, or None.
    - ``claim`` takes the oldest ``PENDING`` job whose ``updated_at`` is at or before ``now``,
      sets its ``updated_at`` to ``lease_until`` and returns it with its media; None when no
      job is claimable. Two concurrent claims never return the same job for one lease.
    - ``complete`` and ``fail`` finish a ``PENDING`` job (and drop its media); finishing a job
      that is no longer pending changes nothing.
    - ``pending`` counts the jobs not finished yet.
    Don't: hold a transaction across calls; swallow backend errors (raise ``StoreUnavailable``).
    """

    def submit(self, job: IngestJob) -> tuple[IngestJob, bool]: ...

    def get(self, job_id: str) -> IngestJob | None: ...

    def claim(self, now: datetime, lease_until: datetime) -> IngestJob | None: ...

    def complete(
        self, job_id: str, *, item_id: str, result: Mapping[str, Any], at: datetime
    ) -> None: ...

    def fail(self, job_id: str, *, error: JobError, at: datetime) -> None: ...

    def pending(self) -> int: ...

    def close(self) -> None: ...
