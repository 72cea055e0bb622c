"""Asynchronous ingest: accept a request durably (idempotent per caller and key), then process it
once — the worker's half — and report a job's status (durability and leases:
docs/internals/service.md)."""

from __future__ import annotations

import hashlib
import json
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from deepscreen.core.access import Principal
from deepscreen.core.errors import (
    BackendError,
    CorruptMedia,
    IdempotencyConflict,
    InvalidInput,
    MediaTooLarge,
    NotFound,
    UnsupportedMedia,
)
from deepscreen.core.ingest import IngestJob, JobError, JobStatus
from deepscreen.core.media import AttributeValue
from deepscreen.media import sniff_mime
from deepscreen.media.containers import sniff_video
from deepscreen.service.hosted import HostedStores, audit_caller
from deepscreen.service.items import recorded_outcome
from deepscreen.service.scan import ScanOutcome, Services, scan_bytes

log = logging.getLogger(__name__)
MAX_IDEMPOTENCY_KEY = 200
JOB_PREFIX = "job_"  # job ids never collide with item ids (``sha256:…``)
_KEY_CHARS = frozenset(string.ascii_letters + string.digits + "-_.:")


@dataclass(frozen=True)
class Submission:
    job: IngestJob
    created: bool  # False: the same request was submitted before under this key


@dataclass(frozen=True)
class JobReport:
    job: IngestJob
    outcome: ScanOutcome | None  # the recorded decision once the job is done


def request_sha256(media: bytes, filename: str, attributes: Mapping[str, AttributeValue]) -> str:
    """Fingerprint of an ingest request: its media, filename and attributes."""
    canonical = json.dumps(
        {
            "media_sha256": hashlib.sha256(media).hexdigest(),
            "filename": filename,
            "attributes": dict(attributes),
        },
        sort_keys=True,
        allow_nan=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_item(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    idempotency_key: str,
    filename: str,
    attributes: Mapping[str, AttributeValue],
    media: bytes,
) -> Submission:
    """Store the request as a pending job (or return the job already stored under this key).

    The key is scoped to the caller's API key. The same key with a different request raises
    ``IdempotencyConflict``. Media that is empty, too large or of no format we read is refused
    here, before anything is stored.
    """
    check_idempotency_key(idempotency_key)
    check_media(media, filename, services)
    now = services.clock()
    digest = request_sha256(media, filename, attributes)
    job = IngestJob(
        job_id=f"{JOB_PREFIX}{services.new_id()}",
        idempotency_key=f"{principal.key_id}/{idempotency_key}",
        request_sha256=digest,
        status=JobStatus.PENDING,
        created_at=now,
        updated_at=now,
        filename=filename,
        attributes=dict(attributes),
        media=media,
    )
    stored, created = stores.jobs.submit(job)
    if stored.request_sha256 != digest:
        raise IdempotencyConflict(
            f"Idempotency-Key {idempotency_key!r} was used for a different request "
            f"(job {stored.job_id}); use a new key for a new request"
        )
    if created:
        details = {
            "filename": filename,
            "size_bytes": len(media),
            "content_sha256": hashlib.sha256(media).hexdigest(),
            "attributes": sorted(attributes),
        }
        audit_caller(services, stores, principal, "items.submit", stored.job_id, details)
    return Submission(stored, created)


def check_idempotency_key(key: str) -> None:
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY or not set(key) <= _KEY_CHARS:
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters of letters, "
            f"digits and -_.: (a UUID is a good choice), got {key[:40]!r}"
        )


def check_media(media: bytes, filename: str, services: Services) -> None:
    """The cheap checks of ``load_media``, done before a request is acknowledged."""
    if len(media) > services.limits.max_bytes:
        raise MediaTooLarge(
            filename, f"{len(media):,} bytes, over the limit of {services.limits.max_bytes:,}"
        )
    if not media:
        raise CorruptMedia(filename, "empty file (0 bytes)")
    if sniff_mime(media) is None and sniff_video(media) is None:
        raise UnsupportedMedia(filename, "not a JPEG, PNG, GIF, WebP, MP4 or MOV file")


def process_next_job(services: Services, stores: HostedStores, *, lease_s: float) -> bool:
    """Claim one claimable job and process it; False when there was none.

    Bad media fails the job with its typed error. A backend error leaves the job pending (its
    lease runs out and it is retried) and propagates, so the caller can back off. Any other
    error is a bug: it is logged with its traceback and fails the job without details.
    """
    now = services.clock()
    job = stores.jobs.claim(now, now + timedelta(seconds=lease_s))
    if job is None:
        return False
    assert job.media is not None, "a claimed pending job carries its media"
    try:
        outcome = scan_bytes(
            services,
            job.media,
            source=job.filename,
            attributes=dict(job.attributes),
            received_at=job.created_at,  # time to detect includes the wait in the queue
        )
    except InvalidInput as exc:
        error = JobError(exc.code, str(exc))
        stores.jobs.fail(job.job_id, error=error, at=services.clock())
        return True
    except BackendError:
        raise
    except Exception:  # noqa: BLE001 - worker boundary: one bad job must not stop the worker
        log.exception("ingest job %s failed", job.job_id)
        error = JobError("internal_error", "the item could not be processed")
        stores.jobs.fail(job.job_id, error=error, at=services.clock())
        return True
    result = {
        "decision_id": outcome.decision.decision_id,
        "already_stored": outcome.already_stored,
    }
    stores.jobs.complete(job.job_id, item_id=outcome.item_id, result=result, at=services.clock())
    return True


def job_report(services: Services, stores: HostedStores, job_id: str) -> JobReport:
    """The job's status, with the item's recorded decision and signals once it is done."""
    job = stores.jobs.get(job_id)
    if job is None:
        raise NotFound(f"no ingest job {job_id!r}")
    outcome = None
    if job.status is JobStatus.DONE and job.item_id is not None:
        already = bool((job.result or {}).get("already_stored", False))
        outcome = recorded_outcome(services, job.item_id, job.filename, already_stored=already)
    return JobReport(job, outcome)
