"""The demo's timeline: reviewers' capacity by shift, daily views windows, step order."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from deepscreen.demo.timeline import Kind, Step, review_slots, timeline, window_ends

THU = datetime(2026, 10, 1, tzinfo=UTC)  # a Thursday
SHIFT = {"weekdays": (0, 1, 2, 3, 4), "shift_start_hour": 9, "shift_hours": 8}


def test_capacity_is_per_staffed_day_inside_the_shift_and_none_at_weekends():
    slots = review_slots(THU, THU + timedelta(days=14), per_day=4, reviewers=2, **SHIFT)
    per_day = Counter(s.at.date() for s in slots)
    assert len(per_day) == 10  # two weeks: ten weekdays
    assert set(per_day.values()) == {4}
    assert all(s.at.weekday() < 5 for s in slots)
    assert all(9 <= s.at.hour < 17 for s in slots)
    assert [s.at.hour for s in slots[:4]] == [9, 11, 13, 15]  # evenly over the 8 h shift
    assert all(s.kind is Kind.REVIEW for s in slots)


def test_slots_are_dealt_to_reviewers_in_turn_and_stay_within_the_period():
    start = THU + timedelta(hours=12)  # the first shift is half over
    slots = review_slots(start, THU + timedelta(days=1), per_day=4, reviewers=3, **SHIFT)
    assert [s.at.hour for s in slots] == [13, 15]
    assert [s.target for s in slots] == [0, 1]
    slots = review_slots(THU, THU + timedelta(days=2), per_day=3, reviewers=2, **SHIFT)
    assert [s.target for s in slots] == [0, 1, 0, 1, 0, 1]


def test_no_capacity_means_no_slots():
    assert review_slots(THU, THU + timedelta(days=7), per_day=0, reviewers=1, **SHIFT) == []


def test_views_windows_close_at_every_midnight_and_at_the_end():
    ends = window_ends(THU, THU + timedelta(days=3))
    assert [w.at for w in ends] == [THU + timedelta(days=d) for d in (1, 2, 3)]
    ends = window_ends(THU + timedelta(hours=5), THU + timedelta(days=1, hours=6))
    assert [w.at for w in ends] == [THU + timedelta(days=1), THU + timedelta(days=1, hours=6)]
    assert all(w.kind is Kind.VIEWS for w in ends)


def test_steps_run_in_time_order_then_upload_views_report_review():
    at = THU + timedelta(days=1)
    uploads = [at, THU + timedelta(hours=3)]
    reports = [at + timedelta(hours=1), None]
    slots = [Step(at, Kind.REVIEW, 0), Step(THU + timedelta(hours=1), Kind.REVIEW, 1)]
    steps = timeline(uploads, reports, slots, window_ends(THU, at), THU + timedelta(days=2))
    assert steps == [
        Step(THU + timedelta(hours=1), Kind.REVIEW, 1),
        Step(THU + timedelta(hours=3), Kind.UPLOAD, 1),
        Step(at, Kind.UPLOAD, 0),  # at equal times: the upload, the views, then the review
        Step(at, Kind.VIEWS, 0),
        Step(at, Kind.REVIEW, 0),
        Step(at + timedelta(hours=1), Kind.REPORT, 0),
    ]


@pytest.mark.parametrize(
    ("report", "kept"),
    [
        (THU + timedelta(hours=1), False),  # before its upload: impossible, dropped
        (THU + timedelta(hours=2), False),  # at the upload: dropped
        (THU + timedelta(days=5), False),  # after the end of observation
        (THU + timedelta(hours=30), True),
    ],
)
def test_only_reports_between_upload_and_end_are_steps(report, kept):
    steps = timeline([THU + timedelta(hours=2)], [report], [], [], THU + timedelta(days=2))
    assert (Step(report, Kind.REPORT, 0) in steps) is kept


def test_nothing_happens_after_the_end_but_a_window_closes_at_it():
    end = THU + timedelta(days=1)
    slots = [Step(end, Kind.REVIEW, 0)]
    steps = timeline([end], [None], slots, window_ends(THU, end), end)
    assert steps == [Step(end, Kind.VIEWS, 0)]
