"""The compliance page: takedown requests (TAKE IT DOWN Act, DSA notices) — the figures of
``impact.takedown``, the requests still open with their deadlines, and the copies removed.
Read-only, for analysts and admins; never a requester's statement or contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from deepscreen.api.web.access import authorize, check_csrf
from deepscreen.api.web.context import Web, render
from deepscreen.core.numbers import format_value
from deepscreen.service.takedown import TakedownConfig, ledger
from deepscreen.service.takedown_compliance import ALL, PENDING, compliance_rows, shown_rows
from deepscreen.service.takedown_compliance import Request as TakedownRequest

router = APIRouter(dependencies=[Depends(authorize), Depends(check_csrf)])
REQUESTS_SHOWN = 100


@dataclass(frozen=True)
class Figure:
    name: str
    label: str
    notice_type: str
    value: str
    interval: str
    n: int
    definition: str


@dataclass(frozen=True)
class RequestRow:
    request: TakedownRequest
    hours_left: float | None  # pending: hours until the deadline (negative: overdue)
    overdue: bool


@router.get("/ui/compliance", name="compliance_page")
def compliance_page(request: Request, web: Web) -> Response:
    context = web.context
    config = TakedownConfig.from_settings(context.settings.takedown.model_dump())
    now = web.now()
    found = ledger(context.services, bank=config.bank)
    figures = [_figure(row) for row in shown_rows(compliance_rows(found, now=now))]
    requests = [_row(r, now) for r in reversed(found.requests)][:REQUESTS_SHOWN]
    return render(
        request,
        "compliance.html",
        figures=[f for f in figures if f.notice_type == ALL],
        by_type=[f for f in figures if f.notice_type != ALL],
        requests=requests,
        open_requests=[r for r in requests if r.request.outcome == PENDING],
        copies=list(reversed(found.copies))[:REQUESTS_SHOWN],
        deadlines={t.value: h for t, h in config.deadline_hours.items()},
        queue=config.queue,
        bank=config.bank,
        now=now,
        nav="compliance",
    )


def _figure(row: dict[str, object]) -> Figure:
    unit = str(row["unit"])
    low, high = row["ci_low"], row["ci_high"]
    interval = (
        f"{format_value(low, unit)} – {format_value(high, unit)}"  # type: ignore[arg-type]
        if low is not None and high is not None
        else ""
    )
    return Figure(
        name=str(row["metric"]),
        label=str(row["label"]),
        notice_type=str(row["notice_type"]),
        value=format_value(row["value"], unit),  # type: ignore[arg-type]
        interval=interval,
        n=int(row["n"]),  # type: ignore[call-overload]
        definition=str(row["definition"]),
    )


def _row(found: TakedownRequest, now: datetime) -> RequestRow:
    left = None
    if found.outcome == PENDING:
        left = (found.deadline_at - now).total_seconds() / 3600.0
    return RequestRow(found, left, found.overdue(now))
