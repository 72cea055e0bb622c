"""An item's recorded history, and an ingest job's status, as ``GET /v1/items/{id}`` returns
them (one discriminated union: ``kind`` is ``item`` or ``job``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from deepscreen.api.errors import ErrorDetail
from deepscreen.api.schemas.decisions import DecisionOut, ScanResult, SignalOut
from deepscreen.core.ingest import IngestJob, JobStatus
from deepscreen.core.media import AttributeValue
from deepscreen.service.items import ItemSummary, ReviewRecord


class MediaOut(BaseModel):
    kind: str = Field(description="image or video.")
    mime: str
    width: int
    height: int
    size_bytes: int


class ReviewOut(BaseModel):
    """A review outcome; who reviewed is never returned."""

    occurred_at: datetime
    verdict: str = Field(description="violating or not_violating.")
    label: str
    reason_code: str
    decision_id: str | None
    action: str | None

    @classmethod
    def of(cls, r: ReviewRecord) -> ReviewOut:
        action = None if r.action is None else r.action.value
        return cls(
            occurred_at=r.occurred_at,
            verdict=r.verdict,
            label=r.label,
            reason_code=r.reason_code,
            decision_id=r.decision_id,
            action=action,
        )


class ViewsOut(BaseModel):
    total: int = Field(description="Views summed over every observation.")
    observations: int


class ItemOut(BaseModel):
    kind: Literal["item"] = "item"
    item_id: str
    ingested_at: datetime
    source: str
    media: MediaOut
    attributes: dict[str, AttributeValue]
    decision: DecisionOut | None = Field(description="The latest decision.")
    decisions: int = Field(description="How many decisions were recorded.")
    signals: list[SignalOut] = Field(description="The latest computed signals.")
    reviews: list[ReviewOut]
    views: ViewsOut
    appeals: int

    @classmethod
    def of(cls, s: ItemSummary) -> ItemOut:
        i = s.ingested
        return cls(
            item_id=s.item_id,
            ingested_at=i.occurred_at,
            source=i.source,
            media=MediaOut(
                kind=i.kind.value,
                mime=i.mime,
                width=i.width,
                height=i.height,
                size_bytes=i.size_bytes,
            ),
            attributes=dict(i.attributes),
            decision=None if s.decision is None else DecisionOut.of(s.decision),
            decisions=s.decisions,
            signals=[SignalOut.of(r) for r in s.signals],
            reviews=[ReviewOut.of(r) for r in s.reviews],
            views=ViewsOut(total=s.views, observations=s.view_observations),
            appeals=s.appeals,
        )


class JobOut(BaseModel):
    """An asynchronous ingest: ``pending`` until a worker scanned it, then ``done`` (with the
    decision) or ``failed`` (with the error)."""

    kind: Literal["job"] = "job"
    job_id: str
    status: Literal["pending", "done", "failed"]
    created_at: datetime
    updated_at: datetime
    filename: str
    item_id: str | None
    result: ScanResult | None = Field(description="The recorded decision, once done.")
    error: ErrorDetail | None = Field(description="Why the media was refused, once failed.")

    @classmethod
    def of(cls, job: IngestJob, result: ScanResult | None) -> JobOut:
        error = None
        if job.error is not None:
            error = ErrorDetail(code=job.error.code, message=job.error.message)
        return cls(
            job_id=job.job_id,
            status=job.status.value,
            created_at=job.created_at,
            # While pending, the store's updated_at is the next claim time: show creation.
            updated_at=job.created_at if job.status is JobStatus.PENDING else job.updated_at,
            filename=job.filename,
            item_id=job.item_id,
            result=result,
            error=error,
        )
