"""``POST /v1/items`` (asynchronous, idempotent ingest) and ``GET /v1/items/{id}`` (an item's
recorded history, or an ingest job's status)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Header, Path, Response, UploadFile
from pydantic import Field

from deepscreen.api.context import ApiContext, Caller, Context, authenticated_router
from deepscreen.api.errors import error_responses
from deepscreen.api.schemas.decisions import ScanResult
from deepscreen.api.schemas.inputs import ATTRIBUTES_HELP, parse_attributes
from deepscreen.api.schemas.items import ItemOut, JobOut
from deepscreen.api.uploads import read_upload, upload_name
from deepscreen.core.ingest import JobStatus
from deepscreen.service.ingest import (
    JOB_PREFIX,
    MAX_IDEMPOTENCY_KEY,
    JobReport,
    job_report,
    submit_item,
)
from deepscreen.service.items import explain_decision, item_summary

router = authenticated_router("items", 401, 403, 422, 500, 503)

ItemOrJob = Annotated[ItemOut | JobOut, Field(discriminator="kind")]


@router.post(
    "/v1/items",
    name="submit_item",
    operation_id="submit_item",
    status_code=202,
    responses={
        200: {"model": JobOut, "description": "Submitted before under this key, and finished"},
        **error_responses(400, 409, 413, 415),
    },
)
def submit(
    ctx: Context,
    caller: Caller,
    response: Response,
    idempotency_key: Annotated[
        str,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=MAX_IDEMPOTENCY_KEY,
            description="Your id for this request (a UUID): a retry with the same key and the "
            "same request returns the same job; with another request, 409.",
        ),
    ],
    media: Annotated[UploadFile, File(description="The media file.")],
    attributes: Annotated[str | None, Form(description=ATTRIBUTES_HELP)] = None,
) -> JobOut:
    """Accept one item for asynchronous scanning. The request is stored durably before the
    202 is returned; poll ``GET /v1/items/{job_id}`` (the ``Location``) for the decision."""
    data = read_upload(media, ctx.services.limits.max_bytes)
    submission = submit_item(
        ctx.services,
        ctx.stores,
        principal=caller,
        idempotency_key=idempotency_key,
        filename=upload_name(media),
        attributes=parse_attributes(attributes),
        media=data,
    )
    if submission.created:
        ctx.worker.wake()
    job_id = submission.job.job_id
    report = job_report(ctx.services, ctx.stores, job_id)
    # a new submission is 202 even when the worker has already finished it (a race it may win)
    new_or_pending = submission.created or report.job.status is JobStatus.PENDING
    response.status_code = 202 if new_or_pending else 200
    response.headers["Location"] = f"/v1/items/{job_id}"
    return job_out(ctx, report)


@router.get(
    "/v1/items/{item_id}",
    name="get_item",
    operation_id="get_item",
    response_model=ItemOrJob,
    responses=error_responses(404),
)
def get_item(
    ctx: Context,
    item_id: Annotated[
        str,
        Path(max_length=512, description=f"An item id, or an ingest job id (`{JOB_PREFIX}…`)."),
    ],
) -> ItemOut | JobOut:
    """An item's recorded history — latest decision and signals, reviews (never who
    reviewed), views, appeals — or, for a job id, the ingest job's status and result."""
    if item_id.startswith(JOB_PREFIX):
        return job_out(ctx, job_report(ctx.services, ctx.stores, item_id))
    return ItemOut.of(item_summary(ctx.services, item_id))


def job_out(ctx: ApiContext, report: JobReport) -> JobOut:
    result = None
    if report.outcome is not None:
        explanation = explain_decision(ctx.services, report.outcome.decision)
        result = ScanResult.of(report.outcome, explanation)
    return JobOut.of(report.job, result)
