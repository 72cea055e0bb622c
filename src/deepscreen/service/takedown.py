"""Takedown requests (NCII under the US TAKE IT DOWN Act, EU DSA Art. 16 notices, others):
validate, resolve the item named, record the notice and (item stored) its takedown-queue task,
due at the legal deadline, in one transaction (docs/takedown.md; docs/internals/service.md)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from deepscreen.core.errors import InvalidInput, NotFound
from deepscreen.core.events import NoticeReceived, NoticeType, Notifier
from deepscreen.core.imports import ImportRecord
from deepscreen.core.tasks import ReviewTask
from deepscreen.impact.takedown import Request, TakedownLedger, takedown_ledger
from deepscreen.service.audit import record_action
from deepscreen.service.review_queue import configured
from deepscreen.service.scan import Services
from deepscreen.service.takedown_config import TakedownConfig
from deepscreen.service.takedown_lookup import (
    _SHA256,
    _reference_kind,
    find_notice,
    resolve_reference,
)
from deepscreen.service.takedown_task import _task_of, takedown_task
from deepscreen.store.access.ports import AuditLog

__all__ = [
    "GOOD_FAITH_REQUIRED",
    "MATCH_KIND",
    "MAX_CONTACT_CHARS",
    "MAX_EXTERNAL_ID_CHARS",
    "MAX_REFERENCE_CHARS",
    "MAX_STATEMENT_CHARS",
    "NOTICE_KIND",
    "NoticeOutcome",
    "NoticeRequest",
    "TakedownConfig",
    "check_request",
    "ledger",
    "notice_digest",
    "notice_id_of",
    "notice_status",
    "rematch",
    "submit_audited",
    "submit_notice",
]

NOTICE_KIND = "notice"  # the ``imports`` row of a notice: its idempotency key
MATCH_KIND = "notice_match"  # the row of an unmatched notice's later match
MAX_STATEMENT_CHARS = 5000
MAX_CONTACT_CHARS = 320
MAX_REFERENCE_CHARS = 2048
MAX_EXTERNAL_ID_CHARS = 128
GOOD_FAITH_REQUIRED = frozenset({NoticeType.NCII, NoticeType.DSA_ILLEGAL_CONTENT})


_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeRequest:
    """A takedown request as received. Exactly one of ``item_id``, ``sha256`` (of the
    content, with or without ``sha256:``) and ``url`` names the item. ``external_id`` is the
    platform's own id for the request: when given, it alone identifies the request (sending
    it again is the same notice); else the request's content does."""

    notice_type: NoticeType
    item_id: str | None = None
    sha256: str | None = None
    url: str | None = None
    statement: str = ""
    contact: str = ""
    good_faith: bool = False
    notifier: Notifier = Notifier.USER
    external_id: str | None = None


@dataclass(frozen=True)
class NoticeOutcome:
    """The recorded notice; its task (None: unmatched); ``duplicate``: the same request was
    received before and nothing new was recorded (``notice`` and ``task`` are the first
    ones); ``rematched``: a duplicate of an unmatched notice whose item is stored now."""

    notice: NoticeReceived
    task: ReviewTask | None
    duplicate: bool = False
    rematched: bool = False

    @property
    def matched(self) -> bool:
        return self.task is not None or self.notice.matched


def check_request(request: NoticeRequest) -> tuple[str, str]:
    """The request's (reference kind, normalised reference), or ``InvalidInput`` naming every
    problem (the API's schema refuses the same with a 422 before this runs)."""
    problems = []
    named = [
        (kind, value)
        for kind, value in (
            ("item_id", request.item_id),
            ("sha256", request.sha256),
            ("url", request.url),
        )
        if value is not None and value.strip()
    ]
    if len(named) != 1:
        problems.append("name the item with exactly one of item_id, sha256 or url")
    if request.notice_type in GOOD_FAITH_REQUIRED and request.good_faith is not True:
        problems.append(
            f"{request.notice_type.value} notices need the requester's good-faith declaration "
            "(good_faith = true)"
        )
    if not request.statement.strip():
        problems.append("the statement is empty: say why the item should be taken down")
    for what, value, most in (
        ("statement", request.statement, MAX_STATEMENT_CHARS),
        ("contact", request.contact, MAX_CONTACT_CHARS),
    ):
        if len(value) > most:
            problems.append(f"the {what} holds at most {most} characters, got {len(value)}")
    if request.notice_type in GOOD_FAITH_REQUIRED and not request.contact.strip():
        problems.append(f"{request.notice_type.value} notices need the requester's contact")
    for what, text in (
        ("item_id", request.item_id),
        ("sha256", request.sha256),
        ("url", request.url),
        ("statement", request.statement),
        ("contact", request.contact),
    ):
        if text is not None and not _storable(text):
            problems.append(f"the {what} holds a NUL character or invalid Unicode")
    if request.external_id is not None and not _EXTERNAL_ID.match(request.external_id):
        problems.append("external_id: 1 to 128 letters, digits and . _ : -")
    reference = ("", "")
    if len(named) == 1:
        kind, value = named[0]
        value = value.strip()
        if len(value) > MAX_REFERENCE_CHARS:
            problems.append(f"{kind} holds at most {MAX_REFERENCE_CHARS} characters")
        elif kind == "sha256":
            found = _SHA256.match(value)
            if found is None:
                problems.append("sha256: 64 hexadecimal characters, optionally after sha256:")
            else:
                value = "sha256:" + found.group(1).lower()
        elif kind == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                problems.append("url: an http(s) URL of media already scanned")
        reference = (kind, value)
    if problems:
        raise InvalidInput("takedown notice refused: " + "; ".join(problems))
    return reference


def _storable(text: str) -> bool:
    """No NUL (PostgreSQL text refuses it) and valid Unicode (no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def notice_digest(request: NoticeRequest, reference: tuple[str, str]) -> str:
    """The SHA-256 that identifies the request: of its ``external_id`` when given, else of
    its content (type, reference, statement, contact, notifier)."""
    if request.external_id is not None:
        key: dict[str, Any] = {"external_id": request.external_id}
    else:
        key = {
            "type": request.notice_type.value,
            "reference": list(reference),
            "statement": request.statement,
            "contact": request.contact,
            "notifier": request.notifier.value,
        }
    text = json.dumps(key, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def notice_id_of(digest: str) -> str:
    return f"ntc-{digest[:20]}"


def submit_notice(
    services: Services,
    config: TakedownConfig,
    request: NoticeRequest,
    *,
    now: datetime,
    source: str = "api",
) -> NoticeOutcome:
    """Record a takedown request received at ``now`` and queue its item (docs/takedown.md,
    docs/internals/service.md); ``source`` says who submitted it (an API key id, ``cli``) in
    the imports row."""
    configured(services)  # a matched notice needs the review queue for its task
    reference = check_request(request)
    digest = notice_digest(request, reference)
    notice_id = notice_id_of(digest)
    item_id, matched = resolve_reference(services, *reference)
    notice = NoticeReceived(
        item_id=item_id,
        occurred_at=now,
        notifier=request.notifier,
        notice_id=notice_id,
        notice_type=request.notice_type,
        deadline_at=config.deadline(request.notice_type, now),
        reference=reference[1],
        matched=matched,
        statement=request.statement,
        contact=request.contact,
        good_faith=request.good_faith,
    )
    task = takedown_task(services, config, notice) if matched else None
    record = ImportRecord(kind=NOTICE_KIND, digest=digest, source=source, imported_at=now, events=1)
    earlier = services.store.append_import(record, [notice], tasks=[task] if task else [])
    if earlier is None:
        return NoticeOutcome(notice, task)
    first = find_notice(services, notice_id, item_hint=item_id)
    if first is None:  # the row exists, the notice not: impossible within one transaction
        raise InvalidInput(f"notice {notice_id} is recorded as received but cannot be read")
    if first.matched:
        return NoticeOutcome(first, _task_of(services, notice_id), duplicate=True)
    return rematch(services, config, first, now=now)


def rematch(
    services: Services, config: TakedownConfig, notice: NoticeReceived, *, now: datetime
) -> NoticeOutcome:
    """An unmatched notice again: when its reference names a stored item now, record the
    match (the notice again, ``matched``, at its first receipt time) and open its task, once;
    else return it as it is."""
    kind, value = _reference_kind(notice.reference)
    item_id, matched = resolve_reference(services, kind, value)
    if not matched:
        return NoticeOutcome(notice, None, duplicate=True)
    found = NoticeReceived(
        item_id=item_id,
        occurred_at=notice.occurred_at,
        notifier=notice.notifier,
        notice_id=notice.notice_id,
        notice_type=notice.notice_type,
        deadline_at=notice.deadline_at,
        reference=notice.reference,
        matched=True,
        statement=notice.statement,
        contact=notice.contact,
        good_faith=notice.good_faith,
    )
    task = takedown_task(services, config, found)
    assert notice.notice_id is not None
    digest = hashlib.sha256(notice.notice_id.encode()).hexdigest()
    record = ImportRecord(
        kind=MATCH_KIND, digest=digest, source="rematch", imported_at=now, events=1
    )
    if services.store.append_import(record, [found], tasks=[task]) is None:
        return NoticeOutcome(found, task, duplicate=True, rematched=True)
    return NoticeOutcome(found, _task_of(services, notice.notice_id), duplicate=True)


def ledger(services: Services, *, bank: str) -> TakedownLedger:
    """Every takedown request and copy in the store (one pass over the log)."""
    rows = (
        (event_type, item_id, at, payload)
        for _seq, event_type, item_id, at, payload in services.store.read_rows()
    )
    return takedown_ledger(rows, bank=bank)


def submit_audited(
    services: Services,
    config: TakedownConfig,
    request: NoticeRequest,
    *,
    audit: AuditLog,
    actor: str,
) -> NoticeOutcome:
    """``submit_notice`` now, with a ``notice.submit`` entry in the audit trail (ids, type
    and outcome only: never the statement or the requester's contact)."""
    outcome = submit_notice(services, config, request, now=services.clock(), source=actor)
    notice = outcome.notice
    record_action(
        audit,
        actor=actor,
        action="notice.submit",
        target=str(notice.notice_id),
        clock=services.clock,
        details={
            "notice_type": request.notice_type.value,
            "item_id": notice.item_id if notice.matched else None,
            "matched": notice.matched,
            "task_id": None if outcome.task is None else outcome.task.task_id,
            "duplicate": outcome.duplicate,
        },
    )
    return outcome


def notice_status(services: Services, config: TakedownConfig, notice_id: str) -> Request:
    """Where a takedown request stands (its outcome read from the log); ``NotFound`` for an
    unknown id."""
    found = ledger(services, bank=config.bank).request(notice_id)
    if found is None:
        raise NotFound(f"no takedown notice {notice_id!r}")
    return found
