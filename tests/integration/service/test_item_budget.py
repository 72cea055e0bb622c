"""An item over the per-item work budget is abandoned with ``processing_timeout``; nothing of
it is written and the run goes on with the next item."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.scale.records import UploadRecord, decide_record
from deepscreen.service import scan_paths
from deepscreen.service.scan import ScanFailure, ScanOutcome
from deepscreen.settings import load_settings
from deepscreen.signals.registry import discover, load_detectors
from deepscreen.store.events.memory import InMemoryEventStore

RELEASE = threading.Event()


class StuckOnRed:
    """A watermark stand-in that hangs on a red image, as a detector might on a hostile file."""

    name: ClassVar[str] = "watermark"
    version = "test"
    media_kinds: ClassVar[frozenset[MediaKind]] = frozenset({MediaKind.IMAGE})

    def load(self) -> None: ...

    def detect(self, item: MediaItem) -> SignalResult:
        assert item.pixels is not None
        if item.pixels.getpixel((0, 0)) == (255, 0, 0):
            RELEASE.wait(60)
        return SignalResult.abstain(self.name, self.version, "no watermark")

    def get_examples(self) -> list[Any]:
        return []


def services(budget: float) -> Any:
    names = sorted(set(discover()) - {"vendor", "learned", "faces", "watermark"})
    detectors = [*load_detectors(names), StuckOnRed()]
    built = build(load_settings(None), store=InMemoryEventStore(), detectors=detectors)
    return dataclasses.replace(built, item_budget_s=budget)


def test_a_stuck_item_is_abandoned_and_the_scan_goes_on(tmp_path: Path) -> None:
    for name, colour in (("a_red.png", (255, 0, 0)), ("b_blue.png", (0, 0, 255))):
        Image.fromarray(np.full((16, 16, 3), colour, np.uint8)).save(tmp_path / name)
    svc = services(budget=0.2)
    try:
        results = list(scan_paths(svc, sorted(tmp_path.iterdir())))
    finally:
        RELEASE.set()
    stuck, done = results
    assert isinstance(stuck, ScanFailure) and stuck.error.code == "processing_timeout"
    assert isinstance(done, ScanOutcome) and not done.already_stored
    assert [e.item_id for e in svc.store.read()].count(done.item_id) == 3
    assert len({e.item_id for e in svc.store.read()}) == 1  # nothing of the stuck item


def test_a_backfill_record_over_budget_is_a_failed_record(tmp_path: Path) -> None:
    RELEASE.clear()
    path = tmp_path / "red.png"
    Image.fromarray(np.full((16, 16, 3), (255, 0, 0), np.uint8)).save(path)
    try:
        decided = decide_record(services(budget=0.2), UploadRecord(uri=str(path)))
    finally:
        RELEASE.set()
    assert decided.error_code == "processing_timeout" and decided.events == ()
