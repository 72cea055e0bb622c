"""The HTTP service's synchronous state changes — scan uploaded media, record exposure counts —
each recorded in the audit trail under the caller's key id."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from deepscreen.core.access import Principal
from deepscreen.core.errors import InvalidInput, UrlRefused
from deepscreen.core.media import AttributeValue, FetchedMedia
from deepscreen.service.hosted import HostedStores, audit_caller
from deepscreen.service.observations import record_views
from deepscreen.service.scan import ScanOutcome, Services, scan_bytes

MAX_VIEW_OBSERVATIONS = 1000


class MediaFetcher(Protocol):
    """Fetches media from URLs on its own threads (``bootstrap.url_fetcher`` builds one)."""

    def submit(self, url: str) -> Future[FetchedMedia]: ...

    def close(self) -> None: ...


def scan_upload(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    media: bytes,
    source: str,
    attributes: Mapping[str, AttributeValue],
    explain: bool = False,
) -> ScanOutcome:
    """Scan and record one item now (``scan_bytes``); audited when something new was recorded.
    ``explain``: a new decision comes with its explanation (``ScanOutcome.explanation``)."""
    outcome = scan_bytes(services, media, source=source, attributes=attributes, explain=explain)
    if not outcome.already_stored:
        details = {
            "source": source,
            "size_bytes": len(media),
            "content_sha256": hashlib.sha256(media).hexdigest(),
            "decision_id": outcome.decision.decision_id,
            "action": outcome.decision.action.value,
        }
        audit_caller(services, stores, principal, "items.scan", outcome.item_id, details)
    return outcome


def start_url_fetch(fetcher: MediaFetcher | None, url: str) -> Future[FetchedMedia]:
    """Start fetching media from ``url`` on the fetcher's own threads (``fetcher`` None:
    fetching is disabled). The caller waits for the future off its own threads, so a slow
    media host holds a fetch thread, never a thread that serves other requests."""
    if fetcher is None:
        raise UrlRefused("fetching media from a URL is disabled ([api] url_fetch_enabled)")
    return fetcher.submit(url)


@dataclass(frozen=True)
class ViewCount:
    item_id: str
    views: int
    observed_at: datetime | None = None  # end of the counting window; None: now


def observe_views(
    services: Services,
    stores: HostedStores,
    *,
    principal: Principal,
    counts: Sequence[ViewCount],
) -> int:
    """Record new views of known items (one ``ViewsObserved`` each, all or nothing); refuses
    item ids never ingested, naming them."""
    if not 0 < len(counts) <= MAX_VIEW_OBSERVATIONS:
        raise InvalidInput(f"give 1 to {MAX_VIEW_OBSERVATIONS} view counts, got {len(counts)}")
    unknown = sorted({c.item_id for c in counts if not services.store.has_item(c.item_id)})
    if unknown:
        shown = ", ".join(repr(i) for i in unknown[:10])
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        raise InvalidInput(f"unknown item ids: {shown}{more} (scan or submit them first)")
    now = services.clock()
    recorded = record_views(services, [(c.item_id, c.observed_at or now, c.views) for c in counts])
    target = f"{recorded} items" if recorded != 1 else counts[0].item_id
    details = {"observations": recorded, "views": sum(c.views for c in counts)}
    audit_caller(services, stores, principal, "views.record", target, details)
    return recorded
