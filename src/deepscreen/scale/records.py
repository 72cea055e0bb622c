"""One upload to decide, as a manifest row or a stream message carries it (``UploadRecord``), and
the pure per-item step every engine runs on it: fetch the bytes, load, detect, decide — nothing
written. The record's fields: docs/internals/scale.md."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import DecisionMade, Event
from deepscreen.core.media import AttributeValue, MediaItem
from deepscreen.service.media import load_media, wants_copy
from deepscreen.service.scan import Services, decide

KNOWN_ATTRIBUTES = ("uploader", "category", "ai_disclosure")
MAX_ID = 512


class BadRecord(InvalidInput):
    """A manifest row or a stream message that is not a valid upload record."""

    code = "bad_record"


@dataclass(frozen=True)
class UploadRecord:
    uri: str | None
    data: bytes | None = None
    item_id: str | None = None
    attributes: Mapping[str, AttributeValue] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.uri or f"inline:{self.item_id or 'upload'}"


def parse_record(raw: Mapping[str, Any], *, where: str) -> UploadRecord:
    """A record from a decoded JSON object or a Parquet row; ``where`` names it in errors."""
    if not isinstance(raw, Mapping):
        raise BadRecord(f"{where}: expected an object, got {type(raw).__name__}")
    uri, inline = raw.get("uri"), raw.get("data_b64")
    if (uri is None) == (inline is None):
        raise BadRecord(f"{where}: give exactly one of 'uri' and 'data_b64'")
    if uri is not None and (not isinstance(uri, str) or not uri.strip()):
        raise BadRecord(f"{where}: 'uri' must be a non-empty string")
    data = None
    if inline is not None:
        try:
            data = base64.b64decode(str(inline), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRecord(f"{where}: 'data_b64' is not base64: {exc}") from None
    item_id = raw.get("id", raw.get("item_id"))
    if item_id is not None and (
        not isinstance(item_id, str) or not item_id.strip() or len(item_id) > MAX_ID
    ):
        raise BadRecord(f"{where}: 'id' must be a non-empty string of at most {MAX_ID} chars")
    return UploadRecord(uri, data, item_id, _attributes(raw, where))


def _attributes(raw: Mapping[str, Any], where: str) -> dict[str, AttributeValue]:
    out: dict[str, AttributeValue] = {}
    extra = raw.get("attributes") or {}
    if not isinstance(extra, Mapping):
        raise BadRecord(f"{where}: 'attributes' must be an object")
    for name, value in [*extra.items(), *((k, raw.get(k)) for k in KNOWN_ATTRIBUTES)]:
        if value is None:
            continue
        if not isinstance(value, str | int | float | bool):
            raise BadRecord(f"{where}: attribute {name!r} must be a string, number or boolean")
        out[str(name)] = value
    declared = raw.get("declared_ai")
    if declared is not None:
        if not isinstance(declared, bool):
            raise BadRecord(f"{where}: 'declared_ai' must be true or false")
        out.setdefault("ai_disclosure", "ai" if declared else "not_ai")
    uploaded = raw.get("uploaded_at")
    if uploaded is not None:
        out["uploaded_at"] = _iso(uploaded, where)
    return out


def _iso(value: Any, where: str) -> str:
    if isinstance(value, datetime):
        when = value
    else:
        try:
            when = datetime.fromisoformat(str(value))
        except ValueError:
            raise BadRecord(f"{where}: 'uploaded_at' is not an ISO 8601 time: {value!r}") from None
    if when.utcoffset() is None:
        raise BadRecord(f"{where}: 'uploaded_at' needs a time zone: {value!r}")
    return when.isoformat()


def fetch(record: UploadRecord, max_bytes: int) -> bytes:
    """The record's bytes: inline, or read through fsspec (at most ``max_bytes`` + 1, so an
    oversized file is refused by the loader without being read whole)."""
    if record.data is not None:
        return record.data
    assert record.uri is not None
    import fsspec  # imported with the first URI read: scans of local files need not pay it

    try:
        with fsspec.open(record.uri, "rb") as handle:
            data: bytes = handle.read(max_bytes + 1)
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{record.uri}: cannot read: {exc}") from None
    return data


def load_record(services: Services, record: UploadRecord) -> MediaItem:
    data = fetch(record, services.limits.max_bytes)
    return load_media(
        data,
        source=record.source,
        limits=services.limits,
        item_id=record.item_id,
        attributes=record.attributes,
    )


@dataclass(frozen=True)
class Decided:
    """What a worker sends back for one record: the events to store, or why it failed.
    ``media_copy`` holds the bytes to keep for reviewers (``service.media.wants_copy``: retention
    on, a ``review`` or enforcement decision, an image or video); otherwise None, so bytes
    cross process boundaries only when a copy is kept."""

    source: str
    item_id: str | None
    events: tuple[Event, ...] = ()
    error: str | None = None
    error_code: str | None = None
    media_copy: bytes | None = field(default=None, repr=False)

    @property
    def decision(self) -> Decision | None:
        """The decision among ``events`` (None for a failed record)."""
        return next((e.decision for e in self.events if isinstance(e, DecisionMade)), None)


def decide_record(services: Services, record: UploadRecord) -> Decided:
    """Fetch, load, detect and decide one record (pure: nothing is written). Bad media is a
    failed ``Decided``, not an exception, so a batch goes on."""
    try:
        item = load_record(services, record)
        events, decision, _signals, _explanation = decide(services, item)
    except InvalidInput as exc:  # bad media, or over the per-item work budget
        return Decided(record.source, record.item_id, error=str(exc), error_code=exc.code)
    copy = item.data if wants_copy(services.media, decision, item.data) else None
    return Decided(record.source, item.item_id, tuple(events), media_copy=copy)
