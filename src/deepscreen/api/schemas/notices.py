"""Request and response bodies of the takedown notice endpoints (``/v1/notices``)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from deepscreen.core.events import NoticeType, Notifier
from deepscreen.service.takedown import (
    GOOD_FAITH_REQUIRED,
    MAX_CONTACT_CHARS,
    MAX_REFERENCE_CHARS,
    MAX_STATEMENT_CHARS,
    NoticeOutcome,
    NoticeRequest,
)
from deepscreen.service.takedown_compliance import Request

SHA256_PATTERN = r"^(sha256:)?[0-9a-fA-F]{64}$"
URL_PATTERN = r"^https?://[^\s/]+\S*$"
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"


class NoticeIn(BaseModel):
    """A takedown request. Name the item with exactly one of ``item_id``, ``sha256`` (of the
    media's bytes) or ``url`` (of media already scanned from that URL). A notice naming no
    stored item is recorded and answered as unmatched, not refused."""

    model_config = ConfigDict(extra="forbid")
    type: NoticeType = Field(
        description="`ncii`: non-consensual intimate imagery, AI deepfakes included (US TAKE "
        "IT DOWN Act, 48 h); `dsa_illegal_content`: EU DSA Art. 16 notice; `other`."
    )
    item_id: str | None = Field(None, min_length=1, max_length=512)
    sha256: str | None = Field(
        None, pattern=SHA256_PATTERN, description="64 hex characters, optionally `sha256:`."
    )
    url: str | None = Field(None, max_length=MAX_REFERENCE_CHARS, pattern=URL_PATTERN)
    statement: str = Field(
        min_length=1,
        max_length=MAX_STATEMENT_CHARS,
        description="The requester's statement: what the item is and why it must come down.",
    )
    contact: str = Field(
        "",
        max_length=MAX_CONTACT_CHARS,
        description="How to reach the requester (required for ncii and dsa_illegal_content); "
        "personal data: never logged, never shown to reviewers, never exported.",
    )
    good_faith: bool = Field(
        False,
        description="The requester declares in good faith that the request is accurate "
        "(required true for ncii and dsa_illegal_content).",
    )
    notifier: Notifier = Field(Notifier.USER, description="Who sent it.")
    external_id: str | None = Field(
        None,
        pattern=EXTERNAL_ID_PATTERN,
        description="The platform's own id of the request: when given, the same id is the "
        "same notice (else the same content is).",
    )

    @model_validator(mode="after")
    def _complete(self) -> NoticeIn:
        named = [n for n in (self.item_id, self.sha256, self.url) if n is not None]
        if len(named) != 1:
            raise ValueError("name the item with exactly one of item_id, sha256 or url")
        if self.type in GOOD_FAITH_REQUIRED:
            if self.good_faith is not True:
                raise ValueError(f"{self.type.value} notices need good_faith: true")
            if not self.contact.strip():
                raise ValueError(f"{self.type.value} notices need the requester's contact")
        if not self.statement.strip():
            raise ValueError("the statement is blank")
        return self

    def request(self) -> NoticeRequest:
        return NoticeRequest(
            notice_type=self.type,
            item_id=self.item_id,
            sha256=self.sha256,
            url=self.url,
            statement=self.statement,
            contact=self.contact,
            good_faith=self.good_faith,
            notifier=self.notifier,
            external_id=self.external_id,
        )


class NoticeOut(BaseModel):
    """The recorded notice: ``matched`` with its task (due at the legal deadline), or
    unmatched (no stored item: no task). ``duplicate``: the same request was received before
    (nothing new recorded; these are the first one's values)."""

    notice_id: str
    type: str
    matched: bool
    item_id: str | None = Field(description="The stored item; null when unmatched.")
    received_at: AwareDatetime
    deadline_at: AwareDatetime
    task_id: str | None
    queue: str | None
    duplicate: bool

    @classmethod
    def of(cls, outcome: NoticeOutcome) -> NoticeOut:
        notice, task = outcome.notice, outcome.task
        assert notice.notice_id is not None and notice.notice_type is not None
        assert notice.deadline_at is not None
        return cls(
            notice_id=notice.notice_id,
            type=notice.notice_type.value,
            matched=outcome.matched,
            item_id=notice.item_id if outcome.matched else None,
            received_at=notice.occurred_at,
            deadline_at=notice.deadline_at,
            task_id=None if task is None else task.task_id,
            queue=None if task is None else task.queue,
            duplicate=outcome.duplicate,
        )


class NoticeStatusOut(BaseModel):
    """Where a takedown request stands. ``outcome``: ``removed``, ``restricted`` (another
    restricting action), ``rejected`` (no violation found), ``pending`` or ``unmatched``."""

    notice_id: str
    type: str
    matched: bool
    item_id: str | None
    received_at: AwareDatetime
    deadline_at: AwareDatetime
    outcome: str
    answered_at: AwareDatetime | None
    hours_to_removal: float | None
    removed_within_deadline: bool

    @classmethod
    def of(cls, request: Request) -> NoticeStatusOut:
        data: dict[str, Any] = request.to_dict()
        return cls(
            notice_id=request.notice_id,
            type=request.notice_type,
            matched=request.matched,
            item_id=request.item_id if request.matched else None,
            received_at=request.received_at,
            deadline_at=request.deadline_at,
            outcome=request.outcome,
            answered_at=request.answered_at,
            hours_to_removal=data["hours_to_removal"],
            removed_within_deadline=request.removed_within_deadline(),
        )
