"""The demo's synthetic platform: every parameter of the generated sample and of its timeline
(uploads, views, user reports, reviewers), with a seed. Every number here is an assumption."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class DemoScenario:
    """Parameters of the synthetic platform. All data generated from them is synthetic.

    The sample: ``marker_mix`` is the share of AI-generated items carrying each kind of
    generator metadata (the rest carry none, as after a re-upload that strips metadata).
    ``false_marker_share`` is the share of real photos that carry AI-tool metadata anyway
    (e.g. a camera photo upscaled or restored with a Stable Diffusion tool and judged authentic
    by reviewers): they are the false positives a metadata policy makes.

    The timeline: uploads arrive uniformly over ``weeks`` weeks from ``start``; the platform is
    observed ``tail_days`` more days (views, reports and reviews go on), and the ground truth
    of the items no person reviewed is imported at the end.

    Scanning: the platform hands each upload to deepscreen through its ingest queue; the wait
    until it is scanned is log-normal over items (median ``scan_wait_minutes_median``, log-sigma
    ``scan_wait_sigma``). The item counts as ingested at upload, so this wait is its time to
    detect.

    Views (the engagement model of ``deepscreen.simulate.engagement``): an item's lifetime
    views are log-normal (``views_log_mean``, ``views_log_sigma``: a heavy tail), times
    ``violating_views_multiplier`` for AI-generated items; it gets half of them within
    ``t_half`` hours of upload, log-normal over items around ``half_views_hours_median``
    (spread ``half_views_sigma``), with views spread ``curve_sigma`` log-hours around it.
    Views are counted in daily windows ending at midnight UTC; removal stops them.

    User reports: each view of an item that is neither labelled nor removed reports it with
    probability ``report_rate`` (AI-generated) or ``false_report_rate`` (real), so the first
    report comes after a geometric number of views — sooner for viral items.

    Review: ``reviewers`` people work the review queue (highest priority first, then oldest)
    on ``staffed_weekdays`` from ``shift_start_hour`` for ``shift_hours`` hours, ``reviews_per_day``
    reviews a staffed day between them; each review takes ``review_minutes``. A reviewer's
    verdict is the synthetic truth, wrong with probability ``reviewer_error_rate``.
    """

    seed: int = 20261125
    n_items: int = 2000
    ai_share: float = 0.25
    marker_mix: dict[str, float] = field(
        default_factory=lambda: {"a1111": 0.25, "comfyui": 0.15, "iptc_xmp": 0.2}
    )
    false_marker_share: float = 0.01
    sensitive_share: float = 0.12
    categories: tuple[str, ...] = ("pets", "food", "travel", "art", "sports", "memes")
    sensitive_categories: tuple[str, ...] = ("news", "politics")
    uploaders: int = 250
    start: datetime = datetime(2026, 10, 1, tzinfo=UTC)
    weeks: int = 5
    tail_days: int = 7
    scan_wait_minutes_median: float = 3.0
    scan_wait_sigma: float = 1.0
    views_log_mean: float = 3.0
    views_log_sigma: float = 1.6
    violating_views_multiplier: float = 2.0
    half_views_hours_median: float = 12.0
    half_views_sigma: float = 1.0
    curve_sigma: float = 1.2
    report_rate: float = 0.004
    false_report_rate: float = 0.0002
    reviewers: int = 2
    reviews_per_day: int = 4
    staffed_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    shift_start_hour: int = 9
    shift_hours: int = 8
    review_minutes: float = 1.6
    reviewer_error_rate: float = 0.02

    def __post_init__(self) -> None:
        if self.n_items < 1:
            raise ValueError(f"n_items must be >= 1, got {self.n_items!r}")
        shares = (
            "ai_share",
            "false_marker_share",
            "sensitive_share",
            "report_rate",
            "false_report_rate",
            "reviewer_error_rate",
        )
        for name in shares:
            _check(name, getattr(self, name), 0.0, 1.0)
        if sum(self.marker_mix.values()) > 1.0:
            raise ValueError("marker_mix shares add up to more than 1")
        for name in ("weeks", "reviewers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        for name in ("tail_days", "reviews_per_day"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        positive = (
            "violating_views_multiplier",
            "half_views_hours_median",
            "curve_sigma",
            "scan_wait_minutes_median",
            "review_minutes",
        )
        for name in positive:
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) > 0):
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not set(self.staffed_weekdays) <= set(range(7)):
            raise ValueError(f"staffed_weekdays must be in 0..6, got {self.staffed_weekdays!r}")
        if not (0 <= self.shift_start_hour and 1 <= self.shift_hours <= 24 - self.shift_start_hour):
            raise ValueError("the review shift must last at least an hour within one day")

    @property
    def upload_days(self) -> int:
        return 7 * self.weeks

    @property
    def end(self) -> datetime:
        """The end of observation: the last upload day plus ``tail_days``."""
        return self.start + timedelta(days=self.upload_days + self.tail_days)

    def describe(self) -> dict[str, Any]:
        """The scenario in words and numbers, for the demo's summary (``summary["scenario"]``)."""
        staffed = ", ".join(WEEKDAYS[d] for d in sorted(self.staffed_weekdays))
        shift_end = self.shift_start_hour + self.shift_hours
        return {
            "synthetic": True,
            "seed": self.seed,
            "items": self.n_items,
            "ai_share": self.ai_share,
            "ai_with_generator_metadata": self.marker_mix,
            "real_with_ai_tool_metadata": self.false_marker_share,
            "upload_window": (
                f"{self.weeks} weeks ({self.upload_days} days) from {self.start.date()}, "
                f"observed {self.tail_days} more days to {self.end.date()}"
            ),
            "scanned": (
                "through the ingest queue after a log-normal wait (median "
                f"{self.scan_wait_minutes_median:g} min, log-sigma {self.scan_wait_sigma:g}): "
                "provenance, metadata and the sampled pixel detector; the wait is the time to "
                "detect"
            ),
            "views": (
                f"lifetime views log-normal (median {math.exp(self.views_log_mean):.0f}, "
                f"log-sigma {self.views_log_sigma}), x{self.violating_views_multiplier:g} for "
                f"AI-generated items; half of them within a median {self.half_views_hours_median:g}"
                " h of upload; counted in daily windows ending at midnight UTC; removal "
                "stops them"
            ),
            "user_reports": (
                f"each view of an unlabelled, not removed item reports it with probability "
                f"{self.report_rate:g} (AI-generated) or {self.false_report_rate:g} (real); "
                "a report is a notice that queues the item for review"
            ),
            "reviewers": (
                f"{self.reviewers} synthetic reviewers, {self.reviews_per_day} reviews a day "
                f"between them, {staffed} {self.shift_start_hour:02d}:00-{shift_end:02d}:00 "
                f"UTC, {self.review_minutes:g} min a review, highest priority first; "
                f"verdict = synthetic truth, wrong {self.reviewer_error_rate:.0%} of the time"
            ),
            "ground_truth": (
                "items no person reviewed get the synthetic truth as an imported label "
                "(label-import:, not a review) at the end of observation"
            ),
            "policy_target": "AI-generated media (ground-truth label ai_generated = violating)",
        }


def _check(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
