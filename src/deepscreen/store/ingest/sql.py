"""``SqlIngestJobStore``: acknowledged asynchronous ingests in the ``ingest_jobs`` table."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from deepscreen.core.ingest import IngestJob, JobError, JobStatus
from deepscreen.store.sql import schema as s
from deepscreen.store.sql.database import SqlDatabase
from deepscreen.store.times import require_aware, stored_utc

_J = s.ingest_jobs.c
_WITHOUT_MEDIA = [c for c in s.ingest_jobs.c if c.name != "media"]
_CLAIM_TRIES = 5


class SqlIngestJobStore:
    """The ``IngestJobStore`` over a ``SqlDatabase``.

    One job per idempotency key is the UNIQUE constraint's doing (``INSERT … ON CONFLICT DO
    NOTHING``), never a prior SELECT. A claim is a compare-and-set on ``updated_at`` (with
    ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers take different jobs).
    """

    def __init__(self, database: SqlDatabase) -> None:
        self._db = database

    def __repr__(self) -> str:
        return f"SqlIngestJobStore({self._db.url!r})"

    def submit(self, job: IngestJob) -> tuple[IngestJob, bool]:
        values = {
            "job_id": job.job_id,
            "idempotency_key": job.idempotency_key,
            "request_sha256": job.request_sha256,
            "status": JobStatus(job.status).value,
            "created_at": require_aware(job.created_at, "created_at"),
            "updated_at": require_aware(job.updated_at, "updated_at"),
            "filename": job.filename,
            "attributes": json.dumps(dict(job.attributes), allow_nan=False, sort_keys=True),
            "media": job.media,
        }
        insert = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        statement = (
            insert(s.ingest_jobs)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(_J.job_id)
        )
        with self._db.begin() as conn:
            created = conn.execute(statement).first() is not None
            query = select(*_WITHOUT_MEDIA).where(_J.idempotency_key == job.idempotency_key)
            row = conn.execute(query).one()
        return _job(row._mapping), created

    def get(self, job_id: str) -> IngestJob | None:
        with self._db.connect() as conn:
            row = conn.execute(select(*_WITHOUT_MEDIA).where(_J.job_id == job_id)).first()
        return None if row is None else _job(row._mapping)

    def claim(self, now: datetime, lease_until: datetime) -> IngestJob | None:
        now, lease_until = require_aware(now, "now"), require_aware(lease_until, "lease_until")
        with self._db.begin() as conn:
            for _ in range(_CLAIM_TRIES):
                settled, job = _claim_one(conn, now, lease_until)
                if settled:
                    return job
        return None  # lost every race: other workers are busy on the backlog

    def complete(
        self, job_id: str, *, item_id: str, result: Mapping[str, Any], at: datetime
    ) -> None:
        self._finish(
            job_id,
            at,
            status=JobStatus.DONE.value,
            item_id=item_id,
            result=json.dumps(dict(result), allow_nan=False, sort_keys=True),
        )

    def fail(self, job_id: str, *, error: JobError, at: datetime) -> None:
        text = json.dumps({"code": error.code, "message": error.message})
        self._finish(job_id, at, status=JobStatus.FAILED.value, error=text)

    def pending(self) -> int:
        query = select(func.count()).select_from(s.ingest_jobs).where(_J.status == "pending")
        with self._db.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def close(self) -> None:
        self._db.close()

    def _finish(self, job_id: str, at: datetime, **values: Any) -> None:
        statement = (
            update(s.ingest_jobs)
            .where(_J.job_id == job_id, _J.status == JobStatus.PENDING.value)
            .values(media=None, updated_at=require_aware(at, "at"), **values)
        )
        with self._db.begin() as conn:
            conn.execute(statement)


def _claim_one(
    conn: Connection, now: datetime, lease_until: datetime
) -> tuple[bool, IngestJob | None]:
    """(True, the claimed job or None when nothing is claimable), or (False, None) when a
    concurrent claim took the candidate first."""
    candidate = (
        select(_J.job_id, _J.updated_at)
        .where(_J.status == JobStatus.PENDING.value, _J.updated_at <= now)
        .order_by(_J.created_at, _J.job_id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = conn.execute(candidate).first()
    if row is None:
        return True, None
    claimed = conn.execute(
        update(s.ingest_jobs)
        .where(
            _J.job_id == row.job_id,
            _J.status == JobStatus.PENDING.value,
            _J.updated_at == row.updated_at,
        )
        .values(updated_at=lease_until)
    )
    if claimed.rowcount != 1:
        return False, None
    full = conn.execute(select(s.ingest_jobs).where(_J.job_id == row.job_id)).one()
    return True, _job(full._mapping)


def _job(row: Any) -> IngestJob:
    error = None if row["error"] is None else JobError(**json.loads(row["error"]))
    return IngestJob(
        job_id=row["job_id"],
        idempotency_key=row["idempotency_key"],
        request_sha256=row["request_sha256"],
        status=JobStatus(row["status"]),
        created_at=stored_utc(row["created_at"]),
        updated_at=stored_utc(row["updated_at"]),
        filename=row["filename"],
        attributes=json.loads(row["attributes"]),
        media=None if "media" not in row or row["media"] is None else bytes(row["media"]),
        item_id=row["item_id"],
        result=None if row["result"] is None else json.loads(row["result"]),
        error=error,
    )
