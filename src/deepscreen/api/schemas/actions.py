"""The action feed as the API returns it (``GET /v1/actions``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from deepscreen.service.actions import ActionChange


class ActionChangeOut(BaseModel):
    """What applies to an item from one event on: a state to apply, not a delta (applying it
    twice is harmless)."""

    seq: int = Field(description="The event's sequence number: the cursor up to this change.")
    item_id: str
    action: str = Field(
        description="What applies from now on: allow, label, downrank, age_gate, remove, or "
        "review (a person will decide; nothing applied meanwhile). A restoration is `allow`."
    )
    source: str = Field(
        description="policy (the automated decision), review (a person), takedown (a review "
        "answering a takedown request), takedown_copy (a copy removed by the takedown sweep), "
        "appeal (a restoration or another appeal outcome) or restoration (not after an appeal)."
    )
    occurred_at: datetime
    decision_id: str | None = Field(description="The decision decided, reviewed or undone.")
    notice_id: str | None = Field(description="The takedown request (takedown, takedown_copy).")
    copy_of: str | None = Field(description="takedown_copy: the removed item this one copies.")
    reviewer: str | None = Field(description="The reviewer's pseudonym (a person) or name.")
    verdict: str | None = Field(description="A review's verdict: violating or not_violating.")
    appeal_outcome: str | None = Field(
        description="upheld, partially_reversed or omitted (a reversal is a restoration)."
    )

    @classmethod
    def of(cls, c: ActionChange) -> ActionChangeOut:
        return cls(
            seq=c.seq,
            item_id=c.item_id,
            action=c.action.value,
            source=c.source.value,
            occurred_at=c.occurred_at,
            decision_id=c.decision_id,
            notice_id=c.notice_id,
            copy_of=c.copy_of,
            reviewer=c.reviewer,
            verdict=None if c.verdict is None else c.verdict.value,
            appeal_outcome=None if c.appeal_outcome is None else c.appeal_outcome.value,
        )


class ActionFeed(BaseModel):
    changes: list[ActionChangeOut] = Field(description="In the order they were recorded.")
    next_after: int = Field(
        description="Where to read on: pass it as `after` (store it once you applied the page)."
    )
    next: str | None = Field(
        description="URL of the next page; null when the log ended (poll `after=next_after`)."
    )
