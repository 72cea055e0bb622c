"""The demo's platform in time: walk the timeline (``deepscreen.demo.timeline``) through the real
use cases — uploads, daily views, user reports, synthetic reviewers — so every event is the one
production would record at that moment (docs/internals/service.md)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import Verdict
from deepscreen.core.tasks import TaskStatus
from deepscreen.demo.sample import DemoItem
from deepscreen.demo.scenario import DemoScenario
from deepscreen.demo.timeline import Kind, Step, review_slots, timeline, window_ends
from deepscreen.service.demo_views import ViewCounter, report_hours
from deepscreen.service.notices import receive_notice
from deepscreen.service.observations import record_views
from deepscreen.service.review_queue import claim_next, decide, queue_counts
from deepscreen.service.scan import ScanOutcome, Services, scan_file
from deepscreen.simulate.engagement import Engagement

Progress = Callable[[int], None]
REVIEWER = "synthetic-reviewer-{}"
VIOLATING_LABEL, CLEAN_LABEL = "ai_generated", "real"
REASONS = {  # preferred reason code per verdict (and, for a violation, whether declared)
    (True, True): "disclosed_ai",
    (True, False): "ai_generated_undisclosed",
    (False, True): "authentic_media",
    (False, False): "authentic_media",
}


@dataclass
class PlatformRun:
    """What the walk did, counted as it went (the metrics come from the events)."""

    outcomes: list[ScanOutcome] = field(default_factory=list)
    failures: list[tuple[Path, InvalidInput]] = field(default_factory=list)
    item_ids: dict[int, str] = field(default_factory=dict)
    """Item index in the sample → stored item id (scanned items only)."""
    reviewed: set[str] = field(default_factory=set)
    """Items a (synthetic) person reviewed: their ground truth is that review."""
    reviews: int = 0  # recorded reviews (ReviewCompleted by a synthetic reviewer)
    reviews_violating: int = 0
    gold_judged: int = 0  # gold items served instead of a task, graded, not recorded
    idle_slots: int = 0  # review slots that found the queue empty
    notices: int = 0  # user reports recorded
    notice_reviews_queued: int = 0  # of which queued a review (the others were waiting already)
    views_windows: int = 0  # ViewsObserved recorded
    backlog_max: int = 0  # most review tasks waiting at a midnight
    backlog_max_on: date | None = None
    backlog_final: int = 0  # review tasks still waiting at the end

    def to_dict(self) -> dict[str, Any]:
        skip = {"outcomes", "failures", "item_ids", "reviewed", "backlog_max_on"}
        counts = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}
        peak = self.backlog_max_on
        return {**counts, "backlog_max_on": None if peak is None else peak.isoformat()}


class _Platform:
    def __init__(
        self,
        services: Services,
        clock: ManualClock,
        items: list[DemoItem],
        scenario: DemoScenario,
        on_scanned: Progress | None,
    ) -> None:
        self.services, self.clock, self.items, self.scenario = services, clock, items, scenario
        self.on_scanned = on_scanned
        self.run = PlatformRun()
        self.index_of: dict[str, int] = {}
        self.uploaded = np.asarray([self.hours(it.uploaded_at) for it in items], dtype=np.float64)
        self.engagement = Engagement(
            total=np.asarray([it.views for it in items], dtype=np.float64),
            t_half=np.asarray([it.half_views_hours for it in items], dtype=np.float64),
            half_sigma=scenario.curve_sigma,
        )
        self.views = ViewCounter(self.uploaded, self.engagement)
        self.stop = np.full(len(items), np.inf)  # removal time (hours); views stop there
        self.restricted = np.zeros(len(items), dtype=bool)  # labelled or removed: no reports
        self.gold_rng = random.Random(scenario.seed)
        self.error_rng = np.random.default_rng([scenario.seed, 2])

    def hours(self, at: datetime) -> float:
        return (at - self.scenario.start).total_seconds() / 3600

    def steps(self) -> list[Step]:
        s = self.scenario
        after = np.asarray([it.report_after_views for it in self.items], dtype=np.int64)
        delay = report_hours(self.engagement, after)
        reports = [
            it.uploaded_at + timedelta(hours=float(h)) if np.isfinite(h) else None
            for it, h in zip(self.items, delay, strict=True)
        ]
        slots = review_slots(
            s.start,
            s.end,
            per_day=s.reviews_per_day,
            reviewers=s.reviewers,
            weekdays=s.staffed_weekdays,
            shift_start_hour=s.shift_start_hour,
            shift_hours=s.shift_hours,
        )
        uploads = [it.uploaded_at + timedelta(minutes=it.scan_wait_minutes) for it in self.items]
        return timeline(uploads, reports, slots, window_ends(s.start, s.end), s.end)

    def walk(self) -> PlatformRun:
        handlers = {
            Kind.UPLOAD: self.upload,
            Kind.VIEWS: self.close_window,
            Kind.REPORT: self.report,
            Kind.REVIEW: self.review,
        }
        for step in self.steps():
            handlers[step.kind](step.target, step.at)
        return self.run

    def upload(self, i: int, at: datetime) -> None:
        item = self.items[i]
        self.clock.set(at)
        try:
            outcome = scan_file(
                self.services,
                item.path,
                attributes={"uploader": item.uploader, "category": item.category},
                received_at=item.uploaded_at,
            )
        except InvalidInput as exc:
            self.run.failures.append((item.path, exc))
            return
        finally:
            if self.on_scanned is not None:
                self.on_scanned(1)
        self.run.outcomes.append(outcome)
        self.run.item_ids[i] = outcome.item_id
        self.index_of[outcome.item_id] = i
        self.applied(i, outcome.decision.action, at)

    def applied(self, i: int, action: Action, at: datetime) -> None:
        """An action took effect on item ``i`` at ``at``: a restricting one ends its reports,
        a removal its views."""
        if action.is_enforcement:
            self.restricted[i] = True
        if action is Action.REMOVE:
            self.stop[i] = min(self.stop[i], self.hours(at))

    def close_window(self, _: int, at: datetime) -> None:
        new = self.views.close(self.hours(at), self.stop)
        windows = [
            (self.run.item_ids[i], at, int(new[i]))
            for i in map(int, np.flatnonzero(new))
            if i in self.run.item_ids
        ]
        self.run.views_windows += record_views(self.services, windows)
        self.count_backlog(at)

    def count_backlog(self, at: datetime) -> None:
        assert self.services.review is not None
        gold = self.services.review.gold_queue
        waiting = sum(
            c.tasks
            for c in queue_counts(self.services, now=at)
            if c.status is not TaskStatus.DONE and c.queue != gold
        )
        run = self.run
        run.backlog_final = waiting
        if waiting > run.backlog_max:
            run.backlog_max, run.backlog_max_on = waiting, (at - timedelta(days=1)).date()

    def report(self, i: int, at: datetime) -> None:
        item_id = self.run.item_ids.get(i)
        if item_id is None or self.restricted[i]:
            return
        outcome = receive_notice(self.services, item_id, at=at)
        self.run.notices += 1
        self.run.notice_reviews_queued += outcome.task is not None

    def review(self, reviewer: int, at: datetime) -> None:
        name = REVIEWER.format(reviewer + 1)
        assignment = claim_next(self.services, name, now=at, rng=self.gold_rng)
        if assignment is None:
            self.run.idle_slots += 1
            return
        i = self.index_of[assignment.item_id]
        item = self.items[i]
        mistaken = bool(self.error_rng.random() < self.scenario.reviewer_error_rate)
        violating = (item.label == VIOLATING_LABEL) != mistaken
        done_at = at + self.review_time()
        decided = decide(
            self.services,
            assignment.task_id,
            name,
            verdict=Verdict.VIOLATING if violating else Verdict.NOT_VIOLATING,
            reason_code=self.reason(violating, declared=item.marker != "none"),
            now=done_at,
            label=VIOLATING_LABEL if violating else CLEAN_LABEL,
        )
        if decided.review is None:  # a gold item: graded, never recorded as a label
            self.run.gold_judged += 1
            return
        self.run.reviewed.add(assignment.item_id)
        self.run.reviews += 1
        self.run.reviews_violating += violating
        if decided.review.action is not None:
            self.applied(i, decided.review.action, done_at)

    def review_time(self) -> timedelta:
        """The scenario's minutes a review, within the claim's lease (a shorter configured
        lease would otherwise expire before the decision)."""
        assert self.services.review is not None
        lease = timedelta(seconds=self.services.review.lease_seconds)
        return min(timedelta(minutes=self.scenario.review_minutes), lease / 2)

    def reason(self, violating: bool, *, declared: bool) -> str:
        assert self.services.review is not None
        codes = self.services.review.reason_codes
        preferred = REASONS[(violating, declared)]
        return preferred if preferred in codes else codes[0]


def run_platform(
    services: Services,
    clock: ManualClock,
    items: list[DemoItem],
    scenario: DemoScenario,
    *,
    on_scanned: Progress | None = None,
) -> PlatformRun:
    """Walk the scenario's timeline over ``items`` through the real use cases
    (docs/internals/service.md). ``services`` must have been built with ``clock`` and a review
    queue."""
    return _Platform(services, clock, items, scenario, on_scanned).walk()
