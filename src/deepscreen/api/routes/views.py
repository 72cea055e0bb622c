"""``POST /v1/views``: exposure counts of scanned items, recorded as ``ViewsObserved``."""

from __future__ import annotations

from deepscreen.api.context import Caller, Context, authenticated_router
from deepscreen.api.schemas.inputs import ViewsIn, ViewsRecorded
from deepscreen.service.uploads import ViewCount, observe_views

router = authenticated_router("views", 400, 401, 403, 413, 422, 500, 503)


@router.post("/v1/views", name="record_views", operation_id="record_views")
def record_views(ctx: Context, caller: Caller, body: ViewsIn) -> ViewsRecorded:
    """Record new views per item (the count in the window ending at ``observed_at``). All or
    nothing: an item id never ingested refuses the whole request."""
    counts = [ViewCount(o.item_id, o.views, o.observed_at) for o in body.observations]
    recorded = observe_views(ctx.services, ctx.stores, principal=caller, counts=counts)
    return ViewsRecorded(recorded=recorded)
