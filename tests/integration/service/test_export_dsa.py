"""DSA statements of reasons from scanned items: which items, batching, no personal data."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.compliance.batches import build_statements
from deepscreen.compliance.sor import Restriction, SorConfig, statement_of_reasons
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import ReviewCompleted, Verdict
from deepscreen.service import Services, scan_bytes
from deepscreen.service.export_dsa import restrictions, write_batches
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


@pytest.fixture
def scanned() -> tuple[Services, dict[str, str]]:
    """art1, art2 → label_declared_ai; news → review, then alice removes it a day later
    (violating); plain → allow (the shipped default policy)."""
    clock = ManualClock(T0)
    ids = count()
    svc = build(
        load_settings(None), store=InMemoryEventStore(), clock=clock, new_id=lambda: f"d{next(ids)}"
    )
    specs = [
        ("art1", png((200, 10, 10), A1111), "art"),
        ("art2", png((10, 10, 200), A1111), "art"),
        ("news", png((10, 200, 10), A1111), "news"),
        ("plain", png((50, 50, 50)), "art"),
    ]
    items = {}
    for i, (name, data, category) in enumerate(specs):
        clock.set(T0 + i * HOUR)
        outcome = scan_bytes(svc, data, source=f"{name}.png", attributes={"category": category})
        items[name] = outcome.item_id
    svc.store.append(
        [
            ReviewCompleted(
                item_id=items["news"],
                occurred_at=T0 + 26 * HOUR,
                verdict=Verdict.VIOLATING,
                reviewer="alice",
                reason_code="deepfake_of_real_person",
                label="deepfake",
                action=Action.REMOVE,
            )
        ]
    )
    return svc, items


def test_restrictions_when_automated_or_human_confirmed(scanned) -> None:
    svc, _ = scanned
    found = restrictions(svc.store)
    assert [(r.action, r.human_decided) for r in found] == [
        ("label", False),
        ("label", False),
        ("remove", True),
    ]
    statements = build_statements(found, SorConfig())
    removal = statements[-1]
    assert removal["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert removal["automated_decision"] == "AUTOMATED_DECISION_PARTIALLY"
    assert removal["application_date"] == "2026-03-02"
    assert removal["content_date"] == "2026-03-01"
    assert statements[0]["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert statements[0]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_LABELLED"]
    assert "CONTENT_TYPE_SYNTHETIC_MEDIA" in statements[0]["content_type"]


def test_puids_stable_when_exported_twice(scanned) -> None:
    svc, _ = scanned
    first = [s["puid"] for s in build_statements(restrictions(svc.store), SorConfig())]
    again = [s["puid"] for s in build_statements(restrictions(svc.store), SorConfig())]
    assert first == again
    assert len(set(first)) == 3


def test_period_selects_by_application_time(scanned) -> None:
    svc, _ = scanned
    assert len(restrictions(svc.store, until=T0 + 3 * HOUR)) == 2
    assert [r.action for r in restrictions(svc.store, since=T0 + 3 * HOUR)] == ["remove"]
    with pytest.raises(InvalidInput, match="time zone"):
        restrictions(svc.store, since=datetime(2026, 3, 1))


def test_no_reviewer_or_uploader_identity_when_exported(scanned, tmp_path: Path) -> None:
    svc, items = scanned
    statements = build_statements(restrictions(svc.store), SorConfig())
    result = write_batches(statements, tmp_path)
    assert result.written == 1 and result.violations == []
    text = "".join(p.read_text() for p in tmp_path.iterdir())
    for secret in ("alice", "deepfake_of_real_person", "news.png", *items.values()):
        assert secret not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sor-00001.json"]


def test_batches_of_100_when_many_statements(tmp_path: Path) -> None:
    statements = [
        statement_of_reasons(
            Restriction(
                decision_id=f"d{i}",
                action="label",
                media_kind="image",
                policy_revision="r1",
                rule_id=None,
                content_at=T0,
                applied_at=T0,
            ),
            SorConfig(),
        )
        for i in range(250)
    ]
    ticks: list[int] = []
    result = write_batches(statements, tmp_path, on_batch=ticks.append)
    sizes = [
        len(json.loads((tmp_path / f"sor-0000{n}.json").read_text())["statements"])
        for n in (1, 2, 3)
    ]
    assert sizes == [100, 100, 50]
    assert (result.records, result.written, len(ticks)) == (250, 3, 3)


def test_invalid_batch_refused_unless_allowed(tmp_path: Path) -> None:
    good = statement_of_reasons(
        Restriction(
            decision_id="d1",
            action="remove",
            media_kind="image",
            policy_revision="r1",
            rule_id="x",
            content_at=T0,
            applied_at=T0,
        ),
        SorConfig(),
    )
    bad = good | {"puid": "d2", "category": "STATEMENT_CATEGORY_NOPE"}
    refused = write_batches([good, bad], tmp_path / "strict")
    assert refused.written == 0 and not (tmp_path / "strict" / "sor-00001.json").exists()
    assert [(v.puid, v.field) for v in refused.violations] == [("d2", "category")]
    assert refused.invalid_records == 1
    allowed = write_batches([good, bad], tmp_path / "lax", allow_invalid=True)
    assert allowed.written == 1
