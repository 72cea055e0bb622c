"""scan use cases wired by bootstrap with fakes: idempotency, failing detectors and stores."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count
from typing import ClassVar

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import StoreUnavailable
from deepscreen.core.events import DecisionMade, Event, SignalsComputed
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.service import scan_bytes, scan_paths
from deepscreen.settings import load_settings
from deepscreen.signals.learned.detector import LearnedDetector
from deepscreen.signals.registry import discover, load_detectors
from deepscreen.signals.testing import toy_head
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def all_detectors():
    return load_detectors(
        sorted(set(discover()) - {"vendor"}),  # no API to call here
        instances={"learned": LearnedDetector(toy_head())},  # random weights: plumbing only
    )


def services(store=None, detectors=None):
    ids = count()
    return build(
        load_settings(None),
        store=store or InMemoryEventStore(),
        detectors=detectors if detectors is not None else all_detectors(),
        clock=ManualClock(T0),
        new_id=lambda: f"d{next(ids)}",
    )


def test_scan_records_three_events_with_injected_time_and_ids():
    svc = services()
    outcome = scan_bytes(
        svc,
        png((1, 2, 3), "x\nSteps: 20, Sampler: Euler"),
        source="a.png",
        attributes={"category": "news"},
    )
    assert outcome.decision.action.value == "review"
    assert outcome.decision.decision_id == "d0" and outcome.decision.decided_at == T0
    events = svc.store.for_item(outcome.item_id)
    assert [e.type for e in events] == ["item_ingested", "signals_computed", "decision_made"]
    assert events[0].attributes == {"category": "news"}


def test_same_content_twice_is_one_item():
    svc = services()
    first = scan_bytes(svc, png((9, 9, 9)), source="a.png")
    second = scan_bytes(svc, png((9, 9, 9)), source="copy.png")
    assert second.already_stored and second.decision == first.decision
    assert len(list(svc.store.read())) == 3


class ExplodingDetector:
    name: ClassVar[str] = "exploding"
    version: ClassVar[str] = "0"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def load(self) -> None: ...

    def detect(self, item: MediaItem):
        raise RuntimeError("boom")

    def get_examples(self) -> list[MediaItem]:
        return []


def test_failing_detector_abstains_and_item_is_kept(caplog):
    svc = services(detectors=[*all_detectors(), ExplodingDetector()])
    outcome = scan_bytes(svc, png((5, 5, 5)), source="a.png")
    by_name = {s.detector: s for s in outcome.signals}
    assert by_name["exploding"].abstained
    assert by_name["exploding"].abstain_reason == "detector failed: RuntimeError: boom"
    assert "detector exploding failed" in caplog.text
    assert svc.store.latest_decision(outcome.item_id) is not None


class FailingAfter(InMemoryEventStore):
    """A store whose backend goes away after ``ok`` items."""

    def __init__(self, ok: int) -> None:
        super().__init__()
        self.ok = ok

    def record_item(self, events: Sequence[Event], **options) -> bool:
        if self.ok == 0:
            raise StoreUnavailable("database went away")
        self.ok -= 1
        return super().record_item(events, **options)


def test_store_failure_stops_run_and_leaves_no_half_item(tmp_path):
    paths = []
    for i in range(3):
        path = tmp_path / f"{i}.png"
        path.write_bytes(png((i, i, i)))
        paths.append(path)
    store = FailingAfter(ok=1)
    results = scan_paths(services(store=store), paths)
    first = next(results)
    with pytest.raises(StoreUnavailable):
        next(results)
    events = list(store.read())
    assert {e.item_id for e in events} == {first.item_id}
    assert sum(isinstance(e, SignalsComputed) for e in events) == 1
    assert sum(isinstance(e, DecisionMade) for e in events) == 1
