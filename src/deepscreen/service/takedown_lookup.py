"""Finding what a takedown notice names: the stored item of a reference (item id, content
SHA-256 or URL), and a notice already recorded."""

from __future__ import annotations

import hashlib
import json
import re

from deepscreen.core.events import NoticeReceived
from deepscreen.service.scan import Services

_SHA256 = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")


def resolve_reference(services: Services, kind: str, value: str) -> tuple[str, bool]:
    """(item id, matched): the stored item the reference names, else the reference's key
    (an item id as given, ``sha256:<hex>``, or ``url:<SHA-256 of the URL, 32 hex>``)."""
    if kind in ("item_id", "sha256"):
        return value, services.store.has_item(value)
    found = item_from_url(services, value)
    if found is not None:
        return found, True
    return "url:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:32], False


def item_from_url(services: Services, url: str) -> str | None:
    """The item most recently ingested from ``url`` (its ``source``), if any. Reads every
    ingest event of the log: a notice by URL costs a pass over the store."""
    needle = json.dumps(url, ensure_ascii=False)[1:-1]
    found = None
    for _seq, event_type, item_id, _at, payload in services.store.read_rows():
        if event_type == "item_ingested" and needle in payload:
            if json.loads(payload).get("source") == url:
                found = item_id
    return found


def find_notice(
    services: Services, notice_id: str, *, item_hint: str | None = None
) -> NoticeReceived | None:
    """The first record of the notice (the matched one when it was matched later)."""
    candidates: list[NoticeReceived] = []
    if item_hint is not None:
        candidates = [
            e
            for e in services.store.for_item(item_hint)
            if isinstance(e, NoticeReceived) and e.notice_id == notice_id and e.copy_of is None
        ]
    if not candidates:
        candidates = [
            e
            for e in services.store.read(kinds=["notice_received"])
            if isinstance(e, NoticeReceived) and e.notice_id == notice_id and e.copy_of is None
        ]
    if not candidates:
        return None
    return next((e for e in candidates if e.matched), candidates[0])


def _reference_kind(reference: str) -> tuple[str, str]:
    """How a stored notice named its item: (``url``/``sha256``/``item_id``, the reference)."""
    if reference.startswith(("http://", "https://")):
        return "url", reference
    if reference.startswith("sha256:") and _SHA256.match(reference):
        return "sha256", reference
    return "item_id", reference
