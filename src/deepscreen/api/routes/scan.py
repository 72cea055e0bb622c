"""``POST /v1/scan``: decide one item now — uploaded, or fetched from a URL when enabled."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import File, Form, UploadFile
from starlette.concurrency import run_in_threadpool

from deepscreen.api.context import ApiContext, Caller, Context, authenticated_router
from deepscreen.api.schemas.decisions import ScanResult
from deepscreen.api.schemas.inputs import ATTRIBUTES_HELP, parse_attributes
from deepscreen.api.uploads import read_upload, upload_name
from deepscreen.core.access import Principal
from deepscreen.core.errors import InvalidInput
from deepscreen.core.media import AttributeValue
from deepscreen.service.items import explain_decision
from deepscreen.service.uploads import scan_upload, start_url_fetch

router = authenticated_router("scan", 400, 401, 403, 413, 415, 422, 500, 503)


@router.post("/v1/scan", name="scan_media", operation_id="scan_media")
async def scan_media(
    ctx: Context,
    caller: Caller,
    media: Annotated[UploadFile | None, File(description="The media file.")] = None,
    url: Annotated[
        str | None,
        Form(
            max_length=2048,
            description="Fetch the media from this http(s) URL instead (only when the server "
            "enables it; private and local addresses are always refused; the whole fetch has "
            "one deadline).",
        ),
    ] = None,
    attributes: Annotated[str | None, Form(description=ATTRIBUTES_HELP)] = None,
) -> ScanResult:
    """Scan one item synchronously and record it: every detector's signal with its evidence,
    the decision, and the policy's explanation. An item already stored (same content hash)
    returns its stored decision and records nothing."""
    # Async on purpose: a fetch waits on the fetcher's own threads, so slow media hosts never
    # hold the threadpool that serves every other endpoint. The blocking work — reading the
    # upload (a temporary file past 1 MB), the scan, its record, the explanation — runs in ONE
    # threadpool call: every hand-off between the event loop and a thread costs a wake-up.
    attrs = parse_attributes(attributes)
    if (media is None) == (url is None):
        raise InvalidInput("send exactly one of a `media` file or a `url`")
    if media is not None:
        return await run_in_threadpool(scanned_upload, ctx, caller, media, attrs)
    assert url is not None
    fetched = await asyncio.wrap_future(start_url_fetch(ctx.fetcher, url))
    return await run_in_threadpool(scanned, ctx, caller, fetched.content, fetched.url, attrs)


def scanned_upload(
    ctx: ApiContext, caller: Principal, media: UploadFile, attrs: dict[str, AttributeValue]
) -> ScanResult:
    """Read the upload within the media limit, then ``scanned`` (blocking: off the event loop)."""
    data = read_upload(media, ctx.services.limits.max_bytes)
    return scanned(ctx, caller, data, upload_name(media), attrs)


def scanned(
    ctx: ApiContext, caller: Principal, data: bytes, source: str, attrs: dict[str, AttributeValue]
) -> ScanResult:
    """Scan and record ``data`` and explain its decision (blocking: run off the event loop)."""
    outcome = scan_upload(
        ctx.services,
        ctx.stores,
        principal=caller,
        media=data,
        source=source,
        attributes=attrs,
        explain=True,
    )
    # A new decision's explanation is its own evaluation; a stored one's is re-evaluated.
    explanation = outcome.explanation or explain_decision(ctx.services, outcome.decision)
    return ScanResult.of(outcome, explanation)
