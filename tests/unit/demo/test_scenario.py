"""The demo scenario: checked parameters, a described timeline, and a sample whose images and
labels do not depend on the timeline's parameters."""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from deepscreen.demo.reports import NEVER
from deepscreen.demo.sample import FIELDS, MANIFEST, generate_sample, scan_waits
from deepscreen.demo.scenario import DemoScenario


def test_the_default_timeline_spans_weeks_of_uploads_and_a_tail():
    s = DemoScenario()
    assert s.upload_days == 35
    assert s.end == datetime(2026, 11, 12, tzinfo=UTC)
    described = s.describe()
    assert described["synthetic"] is True
    for key in ("upload_window", "views", "user_reports", "reviewers", "ground_truth"):
        assert described[key]
    assert "4 reviews a day" in described["reviewers"]
    assert "Mon, Tue, Wed, Thu, Fri 09:00-17:00" in described["reviewers"]
    assert "0.004" in described["user_reports"]


@pytest.mark.parametrize(
    "bad",
    [
        {"n_items": 0},
        {"weeks": 0},
        {"report_rate": 1.5},
        {"reviewer_error_rate": -0.1},
        {"reviews_per_day": -1},
        {"staffed_weekdays": (7,)},
        {"shift_start_hour": 20, "shift_hours": 8},
        {"shift_hours": 0},
        {"half_views_hours_median": 0.0},
        {"marker_mix": {"a1111": 0.8, "comfyui": 0.4}},
    ],
)
def test_impossible_parameters_are_refused(bad):
    with pytest.raises(ValueError):
        DemoScenario(**bad)


def test_timeline_parameters_leave_the_images_labels_and_uploads_alone(tmp_path):
    base = DemoScenario(n_items=12)
    other = dataclasses.replace(base, report_rate=0.5, half_views_hours_median=3.0)
    a = generate_sample(tmp_path / "a", base)
    b = generate_sample(tmp_path / "b", other)
    assert [(i.label, i.marker, i.uploaded_at, i.views) for i in a] == [
        (i.label, i.marker, i.uploaded_at, i.views) for i in b
    ]
    assert [i.path.read_bytes() for i in a] == [i.path.read_bytes() for i in b]
    assert [i.half_views_hours for i in a] != [i.half_views_hours for i in b]
    assert sum(i.report_after_views != NEVER for i in b) > sum(
        i.report_after_views != NEVER for i in a
    )


def test_uploads_spread_over_the_weeks_and_the_manifest_holds_the_timeline(tmp_path):
    s = DemoScenario(n_items=40, weeks=2)
    items = generate_sample(tmp_path, s)
    last_upload = s.start + timedelta(days=s.upload_days)
    assert all(s.start <= i.uploaded_at < last_upload for i in items)
    assert max(i.uploaded_at for i in items) > s.start + timedelta(days=7)  # the second week
    with (tmp_path / MANIFEST).open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == FIELDS
    assert [int(r["report_after_views"]) for r in rows] == [i.report_after_views for i in items]
    assert [float(r["half_views_hours"]) for r in rows] == pytest.approx(
        [i.half_views_hours for i in items], abs=1e-4
    )


def test_scan_waits_are_minutes_around_the_median_and_seeded() -> None:
    scenario = DemoScenario(scan_wait_minutes_median=3.0)
    waits = scan_waits(scenario, 4000)
    assert (waits > 0).all()
    assert 2.7 < float(np.median(waits)) < 3.3
    assert (scan_waits(scenario, 4000) == waits).all()
    assert not (scan_waits(DemoScenario(seed=1), 4000) == waits).all()
