"""The demo's timeline walked through the real use cases (in-memory stores): reviews happen in
the reviewers' shifts on tasks that already exist, a removal stops views, a report on an
unlabelled item becomes a notice and a review, a labelled item is not reported."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.events import NoticeReceived, ReviewCompleted, ViewsObserved
from deepscreen.demo.reports import NEVER
from deepscreen.demo.sample import DemoItem
from deepscreen.demo.scenario import DemoScenario
from deepscreen.service import Services
from deepscreen.service.demo_platform import run_platform
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

THU = datetime(2026, 10, 1, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
SCENARIO = DemoScenario(
    n_items=3,
    start=THU,
    weeks=1,
    tail_days=3,
    reviewers=1,
    reviews_per_day=2,
    reviewer_error_rate=0.0,
    curve_sigma=1.0,
)


def services(clock: ManualClock) -> Services:
    ids = count()
    settings = load_settings(
        None,
        db_url="memory://",
        detectors=["c2pa", "hashmatch", "metadata", "watermark"],
        review={"gold_share": 0.0, "pseudonym_secret": "s3"},
    )
    return build(settings, store=InMemoryEventStore(), clock=clock, new_id=lambda: f"d{next(ids)}")


def item(tmp: Path, name: str, colour: tuple[int, int, int], **fields: object) -> DemoItem:
    info = PngImagePlugin.PngInfo()
    if fields.pop("declared", False):
        info.add_text("parameters", A1111)
    path = tmp / f"{name}.png"
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    path.write_bytes(buf.getvalue())
    defaults: dict[str, object] = {
        "label": "ai_generated",
        "marker": "none",
        "uploader": "u1",
        "views": 1000,
        "half_views_hours": 12.0,
        "report_after_views": NEVER,
    }
    return DemoItem(path=path, **{**defaults, **fields})


def test_a_week_of_the_demo_platform(tmp_path):
    held = item(  # declared AI about the news: held for review, removed when reviewed
        tmp_path,
        "held",
        (1, 2, 3),
        declared=True,
        marker="a1111",
        category="news",
        uploaded_at=THU + timedelta(hours=20),
    )
    missed = item(  # undeclared AI: allowed, reported with its 30th view
        tmp_path,
        "missed",
        (9, 9, 9),
        category="pets",
        uploaded_at=THU + timedelta(hours=2),
        report_after_views=30,
    )
    labelled = item(  # declared AI elsewhere: labelled at upload, so nobody reports it
        tmp_path,
        "labelled",
        (5, 6, 7),
        declared=True,
        marker="a1111",
        category="art",
        uploaded_at=THU + timedelta(hours=3),
        report_after_views=1,
    )
    clock = ManualClock(THU)
    svc = services(clock)
    run = run_platform(svc, clock, [held, missed, labelled], SCENARIO)

    ids = {name: run.item_ids[i] for i, name in enumerate(("held", "missed", "labelled"))}
    actions = {o.item_id: o.decision.action.value for o in run.outcomes}
    assert [actions[ids[n]] for n in ("held", "missed", "labelled")] == ["review", "allow", "label"]
    assert run.reviewed == {ids["held"], ids["missed"]}
    reviews = {e.item_id: e for e in svc.store.read(kinds=["review_completed"])}
    assert all(isinstance(e, ReviewCompleted) for e in reviews.values())
    assert {r.reviewer for r in reviews.values()} == {"synthetic-reviewer-1"}

    # The report came with the 30th view of the missed item, long before the held item was
    # uploaded; the first shift (Thu 09:00) reviewed it, the next slot (Thu 13:00) found nothing
    # and Friday 09:00 took the held item, uploaded Thu 20:00.
    [notice] = [e for e in svc.store.for_item(ids["missed"]) if isinstance(e, NoticeReceived)]
    assert THU + timedelta(hours=2) < notice.occurred_at < THU + timedelta(hours=9)
    minutes = timedelta(minutes=SCENARIO.review_minutes)
    assert reviews[ids["missed"]].occurred_at == THU + timedelta(hours=9) + minutes
    assert reviews[ids["held"]].occurred_at == THU + timedelta(days=1, hours=9) + minutes
    assert run.idle_slots >= 1 and run.notices == 1
    assert not [e for e in svc.store.for_item(ids["labelled"]) if isinstance(e, NoticeReceived)]

    # Views: daily windows ending at midnight; the held item's stop at its removal (Fri 09:01),
    # so its Friday window (ending Sat 00:00) holds only the views until then, and none follow.
    windows = [e for e in svc.store.for_item(ids["held"]) if isinstance(e, ViewsObserved)]
    assert [w.occurred_at for w in windows] == [THU + timedelta(days=1), THU + timedelta(days=2)]
    kept = [e for e in svc.store.for_item(ids["labelled"]) if isinstance(e, ViewsObserved)]
    assert len(kept) > len(windows) and sum(w.views for w in kept) > sum(w.views for w in windows)
    assert all(w.occurred_at.hour == 0 for w in kept)
    assert run.backlog_max >= 1 and run.backlog_final == 0
