"""Scanning bytes already stored answers the restriction a person applied since, not only the
automated decision: a re-upload of removed bytes is removed too, until a restoration."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.events import ItemRestored, ReviewCompleted, Verdict
from deepscreen.service import scan_bytes
from deepscreen.service.scan import applied_by_review
from deepscreen.settings import Settings

T0 = datetime(2026, 5, 20, 9, tzinfo=UTC)


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_reupload_of_removed_bytes_gets_the_removal() -> None:
    services = build(
        Settings(db_url="memory://", detectors=["c2pa", "metadata", "watermark", "hashmatch"]),
        clock=ManualClock(T0),
    )
    first = scan_bytes(services, _png(), source="a.png")
    assert first.decision.action is Action.ALLOW and first.current_action is None
    services.store.append(
        [
            ReviewCompleted(
                item_id=first.item_id,
                occurred_at=T0,
                reviewer="label-import:truth.csv",  # truth, not an action
                verdict=Verdict.VIOLATING,
                action=Action.REMOVE,
            )
        ]
    )
    assert scan_bytes(services, _png(), source="b.png").current_action is None
    services.store.append(
        [
            ReviewCompleted(
                item_id=first.item_id,
                occurred_at=T0,
                reviewer="r-1",
                verdict=Verdict.VIOLATING,
                action=Action.REMOVE,
            )
        ]
    )
    again = scan_bytes(services, _png(), source="copy.png")
    assert again.already_stored and again.decision.action is Action.ALLOW
    assert again.current_action is Action.REMOVE
    services.store.append([ItemRestored(item_id=first.item_id, occurred_at=T0)])
    assert scan_bytes(services, _png(), source="copy2.png").current_action is None


def test_a_not_violating_review_applies_nothing() -> None:
    review = ReviewCompleted(
        item_id="x", occurred_at=T0, reviewer="r-1", verdict=Verdict.NOT_VIOLATING
    )
    assert applied_by_review([review]) is None
