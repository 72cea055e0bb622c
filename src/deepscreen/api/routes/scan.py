"""``POST /v1/scan``: decide one item now — uploaded, or fetched from a URL when enabled."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from deepscreen.api.context import Caller, Context, get_principal
from deepscreen.api.errors import error_responses
from deepscreen.api.schemas.decisions import ScanResult
from deepscreen.api.schemas.inputs import ATTRIBUTES_HELP, parse_attributes
from deepscreen.api.uploads import read_upload, upload_name
from deepscreen.core.errors import InvalidInput
from deepscreen.service.items import explain_decision
from deepscreen.service.uploads import scan_upload, scan_url

router = APIRouter(
    tags=["scan"],
    dependencies=[Depends(get_principal)],
    responses=error_responses(400, 401, 403, 413, 415, 422, 500, 503),
)


@router.post("/v1/scan", name="scan_media", operation_id="scan_media")
def scan_media(
    ctx: Context,
    caller: Caller,
    media: Annotated[UploadFile | None, File(description="The media file.")] = None,
    url: Annotated[
        str | None,
        Form(
            max_length=2048,
            description="Fetch the media from this http(s) URL instead (only when the server "
            "enables it; private and local addresses are always refused).",
        ),
    ] = None,
    attributes: Annotated[str | None, Form(description=ATTRIBUTES_HELP)] = None,
) -> ScanResult:
    """Scan one item synchronously and record it: every detector's signal with its evidence,
    the decision, and the policy's explanation. An item already stored (same content hash)
    returns its stored decision and records nothing."""
    attrs = parse_attributes(attributes)
    if (media is None) == (url is None):
        raise InvalidInput("send exactly one of a `media` file or a `url`")
    services, stores = ctx.services, ctx.stores
    if media is not None:
        data = read_upload(media, services.limits.max_bytes)
        source = upload_name(media)
        outcome = scan_upload(
            services, stores, principal=caller, media=data, source=source, attributes=attrs
        )
    else:
        assert url is not None
        outcome = scan_url(
            services, stores, ctx.fetcher, principal=caller, url=url, attributes=attrs
        )
    return ScanResult.of(outcome, explain_decision(services, outcome.decision))
