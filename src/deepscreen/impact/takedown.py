"""Takedown compliance (US TAKE IT DOWN Act, EU DSA notices), pure: the ledger of requests and
removed copies (``takedown_ledger``) from event-log rows, and its figures (``compliance_rows``).
Rules: docs/internals/impact.md; figures: docs/takedown.md, 'Compliance figures'."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core import metrics as registry
from deepscreen.stats import Interval, bootstrap_quantile, proportion

LogRow = tuple[str, str, datetime, str]
"""(event type, item id, occurred at (UTC), JSON payload)."""

DEFAULT_BANK = "takedown"
IMPORTED = "label-import:"
SWEEP_REVIEWER = "deepscreen:takedown-sweep"
NOTICE_REASON = re.compile(r"\btakedown (ntc-[0-9a-f]+)\b")
"""How a takedown bank entry's reason names its notice (``service.takedown_resolve``)."""
ALL = "all"
REMOVED, RESTRICTED, REJECTED, PENDING, UNMATCHED = (
    "removed",
    "restricted",
    "rejected",
    "pending",
    "unmatched",
)
ENFORCING = frozenset({"label", "downrank", "age_gate", "remove"})
_KINDS = ("notice_received", "review_completed", "decision_made", "item_restored")


NAMES: tuple[str, ...] = (
    "takedown_requests",
    "takedown_requests_unmatched",
    "takedown_requests_overdue",
    "takedown_time_to_removal_median_hours",
    "takedown_removed_within_deadline",
    "takedown_copies_removed",
)
METRICS: tuple[registry.Metric, ...] = tuple(registry.metric(name) for name in NAMES)
"""The figures, as ``core.metrics`` defines them (one definition per number)."""
METRIC_BY_NAME: Mapping[str, registry.Metric] = {m.name: m for m in METRICS}


@dataclass(frozen=True, slots=True)
class Request:
    """One takedown request and what became of it (times in UTC)."""

    notice_id: str
    notice_type: str
    notifier: str
    received_at: datetime
    deadline_at: datetime
    item_id: str
    matched: bool
    outcome: str
    answered_at: datetime | None = None
    already_removed: bool = False

    @property
    def hours_to_removal(self) -> float | None:
        if self.outcome != REMOVED or self.answered_at is None:
            return None
        return max(0.0, (self.answered_at - self.received_at).total_seconds() / 3600.0)

    def removed_within_deadline(self) -> bool:
        return (
            self.outcome == REMOVED
            and self.answered_at is not None
            and self.answered_at <= self.deadline_at
        )

    def overdue(self, now: datetime) -> bool:
        return self.outcome == PENDING and self.deadline_at < now

    def deadline_known(self, now: datetime) -> bool:
        """Is whether it was removed within its deadline settled at ``now``?"""
        if not self.matched or self.outcome == REJECTED:
            return False
        return self.outcome == REMOVED or self.deadline_at <= now

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "notice_type": self.notice_type,
            "notifier": self.notifier,
            "received_at": self.received_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat(),
            "item_id": self.item_id,
            "matched": self.matched,
            "outcome": self.outcome,
            "answered_at": None if self.answered_at is None else self.answered_at.isoformat(),
            "already_removed": self.already_removed,
            "hours_to_removal": self.hours_to_removal,
            "removed_within_deadline": self.removed_within_deadline(),
        }


@dataclass(frozen=True, slots=True)
class CopyRemoved:
    """A copy of a removed request's item, removed in a sweep or at upload."""

    item_id: str
    notice_id: str | None
    notice_type: str | None
    copy_of: str | None
    removed_at: datetime
    how: str  # "sweep" | "upload"

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "notice_id": self.notice_id,
            "notice_type": self.notice_type,
            "copy_of": self.copy_of,
            "removed_at": self.removed_at.isoformat(),
            "how": self.how,
        }


@dataclass(frozen=True)
class TakedownLedger:
    requests: tuple[Request, ...] = ()
    copies: tuple[CopyRemoved, ...] = ()

    def request(self, notice_id: str) -> Request | None:
        return next((r for r in self.requests if r.notice_id == notice_id), None)


@dataclass
class _Item:
    """One item's log as far as takedowns need it, in log order."""

    timeline: list[tuple[str, datetime, Mapping[str, Any]]] = field(default_factory=list)
    first_decision: str | None = None
    decided_at: datetime | None = None
    upload_match: tuple[str | None, str | None] | None = None  # (notice id, banked item)


def takedown_ledger(rows: Iterable[LogRow], *, bank: str = DEFAULT_BANK) -> TakedownLedger:
    """Requests and copies from the log rows (any order of types; append order within)."""
    notices: dict[str, list[tuple[str, datetime, Mapping[str, Any]]]] = {}
    swept: dict[tuple[str, str], tuple[datetime, Mapping[str, Any]]] = {}
    items: dict[str, _Item] = {}
    for event_type, item_id, at, payload in rows:
        if event_type == "signals_computed":
            if f'"{bank}"' in payload:
                item = items.setdefault(item_id, _Item())
                if item.upload_match is None:
                    item.upload_match = _bank_match(json.loads(payload), bank)
            continue
        if event_type not in _KINDS:
            continue
        data = json.loads(payload)
        item = items.setdefault(item_id, _Item())
        if event_type == "notice_received":
            if data.get("notice_type") is None or not data.get("notice_id"):
                continue  # a plain user report
            if data.get("copy_of"):
                swept.setdefault((data["notice_id"], item_id), (at, data))
            else:
                notices.setdefault(data["notice_id"], []).append((item_id, at, data))
            continue
        if event_type == "decision_made" and item.first_decision is None:
            item.first_decision = str(data.get("decision", {}).get("action"))
            item.decided_at = at
        item.timeline.append((event_type, at, data))
    requests = [_request(records, items) for records in notices.values()]
    types = {r.notice_id: r.notice_type for r in requests}
    own = {r.item_id for r in requests if r.matched}
    copies = [
        CopyRemoved(
            item_id,
            notice_id,
            types.get(notice_id) or data.get("notice_type"),
            data.get("copy_of"),
            at,
            "sweep",
        )
        for (notice_id, item_id), (at, data) in swept.items()
    ]
    seen = {c.item_id for c in copies}
    for item_id, item in items.items():
        if item_id in own or item_id in seen or item.upload_match is None:
            continue
        if item.first_decision != "remove" or item.decided_at is None:
            continue
        notice_id, banked = item.upload_match
        kind = types.get(notice_id) if notice_id else None
        copies.append(CopyRemoved(item_id, notice_id, kind, banked, item.decided_at, "upload"))
    requests.sort(key=lambda r: (r.received_at, r.notice_id))
    copies.sort(key=lambda c: (c.removed_at, c.item_id))
    return TakedownLedger(tuple(requests), tuple(copies))


def _request(
    records: list[tuple[str, datetime, Mapping[str, Any]]], items: Mapping[str, _Item]
) -> Request:
    """One request from its notice records (an unmatched one, maybe matched later)."""
    first_item, received_at, first = records[0]
    matched = next(((i, d) for i, _at, d in records if d.get("matched", True)), None)
    item_id, data = matched if matched is not None else (first_item, first)
    deadline = data.get("deadline_at") or first.get("deadline_at")
    base = Request(
        notice_id=str(first["notice_id"]),
        notice_type=str(data.get("notice_type")),
        notifier=str(data.get("notifier", "user")),
        received_at=received_at,
        deadline_at=_time(deadline) if deadline else received_at,
        item_id=item_id,
        matched=matched is not None,
        outcome=PENDING,
    )
    if matched is None:
        return replace(base, outcome=UNMATCHED)
    item = items.get(item_id, _Item())
    if _removed_before(item, received_at):
        return replace(base, outcome=REMOVED, answered_at=received_at, already_removed=True)
    for event_type, at, event in item.timeline:
        if event_type != "review_completed" or at < received_at:
            continue
        if str(event.get("reviewer", "")).startswith(IMPORTED):
            continue
        if event.get("verdict") != "violating":
            return replace(base, outcome=REJECTED, answered_at=at)
        outcome = REMOVED if event.get("action") == "remove" else RESTRICTED
        return replace(base, outcome=outcome, answered_at=at)
    return base


def _removed_before(item: _Item, at: datetime) -> bool:
    """Was the item removed (and not restored) by ``at``: an automated ``remove``, or a review
    that removed it?"""
    removed = False
    for event_type, when, event in item.timeline:
        if when > at:
            break
        if event_type == "decision_made":
            removed = removed or event.get("decision", {}).get("action") == "remove"
        elif event_type == "review_completed" and not str(event.get("reviewer", "")).startswith(
            IMPORTED
        ):
            if event.get("verdict") == "violating" and event.get("action") == "remove":
                removed = True
        elif event_type == "item_restored":
            removed = False
    return removed


def _bank_match(payload: Mapping[str, Any], bank: str) -> tuple[str | None, str | None] | None:
    """(notice id, banked item) when the hashmatch evidence matched ``bank`` (an image: any
    listed match; a video: at least half of its usable frames), else None."""
    for result in payload.get("results", []):
        if result.get("detector") != "hashmatch":
            continue
        evidence = result.get("evidence") or {}
        for match in evidence.get("matches", []) or []:
            if match.get("bank") == bank:
                return _notice_of(match.get("reason")), match.get("banked_item")
        video = (evidence.get("banks") or {}).get(bank)
        if isinstance(video, Mapping) and float(video.get("fraction", 0.0)) >= 0.5:
            same = evidence.get("bank") == bank
            return (
                _notice_of(evidence.get("reason")) if same else None,
                evidence.get("banked_item") if same else None,
            )
    return None


def _notice_of(reason: Any) -> str | None:
    found = NOTICE_REASON.search(str(reason or ""))
    return found.group(1) if found else None


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def table_rows(events: pa.Table, *, bank: str = DEFAULT_BANK) -> Iterator[LogRow]:
    """The rows ``takedown_ledger`` reads from an event table (``impact.items.EVENTS_SCHEMA``):
    notices, reviews, decisions and restorations, and the signals that mention ``bank``."""
    kinds = pc.is_in(events["event_type"], value_set=pa.array(_KINDS))
    signals = pc.and_(
        pc.equal(events["event_type"], "signals_computed"),
        pc.match_substring(events["payload"], f'"{bank}"'),
    )
    wanted = events.filter(pc.or_(kinds, signals))
    for row in wanted.select(["event_type", "item_id", "occurred_at", "payload"]).to_pylist():
        yield row["event_type"], row["item_id"], row["occurred_at"], row["payload"]


def compliance_rows(
    ledger: TakedownLedger,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
    confidence: float = 0.95,
) -> list[dict[str, Any]]:
    """The figures (``METRICS``), overall (``notice_type`` = ``all``) and per notice type seen,
    for requests received (copies removed) in ``since <= t < until`` as known at ``now``."""

    def inside(at: datetime) -> bool:
        return (since is None or at >= since) and (until is None or at < until)

    requests = [r for r in ledger.requests if inside(r.received_at)]
    copies = [c for c in ledger.copies if inside(c.removed_at)]
    kinds = [ALL, *sorted({r.notice_type for r in requests})]
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        mine = [r for r in requests if kind == ALL or r.notice_type == kind]
        hours = [h for r in mine if (h := r.hours_to_removal) is not None]
        known = [r for r in mine if r.deadline_known(now)]
        within = sum(1 for r in known if r.removed_within_deadline())
        copied = [c for c in copies if kind == ALL or c.notice_type == kind]
        overdue = sum(1 for r in mine if r.overdue(now))
        unmatched = sum(1 for r in mine if not r.matched)
        rows += [
            _count_row("takedown_requests", kind, len(mine), len(mine)),
            _count_row("takedown_requests_unmatched", kind, unmatched, len(mine)),
            _count_row("takedown_requests_overdue", kind, overdue, len(mine)),
            _row(
                "takedown_time_to_removal_median_hours",
                kind,
                bootstrap_quantile(hours, 0.5, confidence=confidence),
            ),
            _row(
                "takedown_removed_within_deadline",
                kind,
                proportion(within, len(known), confidence=confidence),
                k=within,
            ),
            _count_row("takedown_copies_removed", kind, len(copied), len(copied)),
        ]
    return rows


def shown_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows people read: per-type rows only when more than one type was seen (one type's
    rows repeat the overall ones)."""
    kinds = {r["notice_type"] for r in rows} - {ALL}
    return rows if len(kinds) > 1 else [r for r in rows if r["notice_type"] == ALL]


def _count_row(name: str, kind: str, count: int, n: int) -> dict[str, Any]:
    """A count; ``n`` is its population (the requests counted among, or the copies)."""
    return _row(name, kind, Interval(float(count), None, None, n, "count"))


def _row(name: str, kind: str, interval: Interval, **extra: Any) -> dict[str, Any]:
    metric = METRIC_BY_NAME[name]
    return {
        "metric": name,
        "notice_type": kind,
        "label": registry.label(name),
        "unit": metric.unit,
        "value": interval.value,
        "ci_low": interval.low,
        "ci_high": interval.high,
        "n": interval.n,
        "method": interval.method,
        **extra,
        "definition": metric.definition,
    }
