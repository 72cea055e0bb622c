"""Asynchronous ingest jobs: a request stored before it is acknowledged, then processed once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from deepscreen.core.media import AttributeValue


class JobStatus(StrEnum):
    PENDING = "pending"  # stored and acknowledged; not processed yet (or being processed)
    DONE = "done"  # the item is recorded; ``item_id`` names it
    FAILED = "failed"  # the media was refused; ``error`` says why


@dataclass(frozen=True, slots=True)
class JobError:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class IngestJob:
    """One acknowledged ingest request.

    ``idempotency_key`` is scoped to the caller (``<key id>/<Idempotency-Key header>``);
    ``request_sha256`` fingerprints the request (media, filename, attributes) so that a reused
    key with another request is refused. While ``PENDING``, ``updated_at`` is the time the job
    may next be claimed (a claim pushes it forward by the lease; a crashed worker's job comes
    back when its lease runs out). ``media`` is dropped once the job is done or failed.
    """

    job_id: str
    idempotency_key: str
    request_sha256: str
    status: JobStatus
    created_at: datetime
    updated_at: datetime
    filename: str
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)
    media: bytes | None = field(default=None, repr=False)
    item_id: str | None = None
    result: Mapping[str, Any] | None = None  # JSON: the decision id, whether already stored
    error: JobError | None = None
