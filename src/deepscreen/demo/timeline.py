"""The demo's timeline: uploads, daily views windows, user reports and reviewers' shifts merged
into one ordered list of steps (pure: no I/O, no clock), which ``service.demo_platform`` walks
through the real use cases, so every event lands in the log at its simulated time."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import IntEnum
from typing import NamedTuple


class Kind(IntEnum):
    """What happens at a step; at equal times steps run in this order."""

    UPLOAD = 0  # an item is uploaded and scanned (target: the item's index in the sample)
    VIEWS = 1  # a daily views window closes (target: unused, 0)
    REPORT = 2  # a user reports an item (target: the item's index)
    REVIEW = 3  # a reviewer takes the next task (target: the reviewer's number, from 0)


class Step(NamedTuple):
    at: datetime
    kind: Kind
    target: int


def review_slots(
    start: datetime,
    end: datetime,
    *,
    per_day: int,
    reviewers: int,
    weekdays: Iterable[int],
    shift_start_hour: int,
    shift_hours: int,
) -> list[Step]:
    """The reviewers' capacity: ``per_day`` reviews on each staffed day in ``[start, end)``
    (``weekdays``: 0 = Monday), evenly spaced over the shift from ``shift_start_hour`` for
    ``shift_hours`` hours and dealt to the reviewers in turn. Slots outside ``[start, end)``
    are dropped."""
    staffed = set(weekdays)
    spacing = timedelta(hours=shift_hours) / max(per_day, 1)
    day = datetime.combine(start.date(), datetime.min.time(), tzinfo=start.tzinfo)
    slots, turn = [], 0
    while day < end:
        if day.weekday() in staffed:
            opens = day + timedelta(hours=shift_start_hour)
            for k in range(per_day):
                at = opens + k * spacing
                if start <= at < end:
                    slots.append(Step(at, Kind.REVIEW, turn % reviewers))
                    turn += 1
        day += timedelta(days=1)
    return slots


def window_ends(start: datetime, end: datetime) -> list[Step]:
    """Every midnight in ``(start, end]``, then ``end`` itself if it is no midnight: the ends of
    the daily views windows."""
    first = datetime.combine(start.date(), datetime.min.time(), tzinfo=start.tzinfo)
    ends = []
    at = first + timedelta(days=1)
    while at <= end:
        ends.append(Step(at, Kind.VIEWS, 0))
        at += timedelta(days=1)
    if not ends or ends[-1].at < end:
        ends.append(Step(end, Kind.VIEWS, 0))
    return ends


def timeline(
    uploads: Sequence[datetime],
    reports: Sequence[datetime | None],
    slots: Sequence[Step],
    windows: Sequence[Step],
    end: datetime,
) -> list[Step]:
    """Every step before ``end`` (a window may close at ``end``), ordered by time then kind.

    ``uploads[i]`` and ``reports[i]`` are item ``i``'s upload and first-report times (None:
    never reported; a report is dropped unless it comes after the upload)."""
    steps = [Step(at, Kind.UPLOAD, i) for i, at in enumerate(uploads) if at < end]
    steps += [
        Step(at, Kind.REPORT, i)
        for i, at in enumerate(reports)
        if at is not None and uploads[i] < at < end
    ]
    steps += [s for s in slots if s.at < end]
    steps += [w for w in windows if w.at <= end]
    return sorted(steps)
