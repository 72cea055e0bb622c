"""Media retained for reviewers on the batch and stream paths: an item decided by any engine
(serial, local process pool) or by the stream worker's batch step has its copy kept exactly as
``deepscreen scan`` keeps it (items sent to review or actioned, never allowed ones), bytes cross
processes only when a copy is kept, and a copy that cannot be kept never fails the batch."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build, open_store
from deepscreen.core.errors import StoreUnavailable
from deepscreen.core.events import DecisionMade
from deepscreen.scale.backfill import run_backfill
from deepscreen.scale.engines import EngineKind, make_engine
from deepscreen.scale.manifest import read_manifest
from deepscreen.scale.records import UploadRecord, decide_record
from deepscreen.scale.stream_messages import handle_batch, read_message
from deepscreen.scale.writer import Status, store_decided
from deepscreen.service.media import ReviewMedia
from deepscreen.service.scan import Services
from deepscreen.settings import Settings, load_settings
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.media.memory import InMemoryMediaStore
from deepscreen.store.media.ports import MediaStore, RetainedMedia

A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 32x24"
# (generator metadata, category) → the shipped policy's action
KINDS = {
    "review": (True, "news"),
    "label": (True, "pets"),
    "allow": (False, "pets"),
    "allow-news": (False, "news"),
}


def png(index: int, ai: bool) -> bytes:
    pixels = np.random.default_rng(index).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def expected_action(name: str) -> str:
    return "allow" if name.startswith("allow") else name.split("-")[0]


def kept_bytes(store: MediaStore) -> list[bytes]:
    copies = [store.get(m.item_id) for m in store.records()]
    return sorted(c[1] for c in copies if c is not None)


def corpus(directory: Path, *, with_ids: bool = True) -> tuple[Path, dict[str, bytes]]:
    """Two files of each kind and one that is not an image; returns the manifest and the
    bytes of each file by name (``<kind>-<n>``)."""
    media = directory / "media"
    media.mkdir(parents=True)
    files: dict[str, bytes] = {}
    lines = []
    for n, (kind, (ai, category)) in enumerate((k, v) for k, v in KINDS.items() for _ in range(2)):
        name = f"{kind}-{n}"
        files[name] = png(n, ai)
        (media / f"{name}.png").write_bytes(files[name])
        line = {"uri": f"media/{name}.png", "category": category}
        lines.append({"id": name, **line} if with_ids else line)
    (media / "broken.png").write_bytes(b"not an image")
    lines.append({"id": "broken", "uri": "media/broken.png"})
    (directory / "manifest.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return directory / "manifest.jsonl", files


def settings_for(tmp_path: Path, *, retained: bool = True) -> Settings:
    media = {"backend": "local", "path": str(tmp_path / "kept"), "retention_days": 7}
    return load_settings(
        None,
        db_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        media_store=media if retained else {},
    )


def backfill(settings: Settings, manifest: Path, kind: EngineKind) -> tuple[int, int, int]:
    services = build(settings)
    engine = make_engine(kind, settings, workers=2, services=services)
    try:
        tally = run_backfill(services, read_manifest(str(manifest)), engine, batch_size=3)
    finally:
        engine.close()
        services.store.close()
    return tally.stored, tally.already_stored, tally.failed


def stored_decisions(settings: Settings) -> dict[str, DecisionMade]:
    store = open_store(settings.db_url)
    try:
        return {
            e.item_id: e for e in store.read(kinds={"decision_made"}) if isinstance(e, DecisionMade)
        }
    finally:
        store.close()


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("kind", [EngineKind.SERIAL, EngineKind.LOCAL])
def test_backfill_keeps_copies_of_reviewed_and_actioned_items_when_retention_is_on(
    tmp_path: Path, kind: EngineKind
) -> None:
    manifest, files = corpus(tmp_path / "corpus")
    settings = settings_for(tmp_path)
    assert backfill(settings, manifest, kind) == (8, 0, 1)

    decided = stored_decisions(settings)
    actions = {item: e.decision.action.value for item, e in decided.items()}
    assert actions == {name: expected_action(name) for name in files}
    store = build(settings).media.store
    assert store is not None
    kept = {m.item_id: m for m in store.records()}
    assert sorted(kept) == sorted(n for n in files if n.startswith(("review", "label")))
    for item_id, record in kept.items():
        copy = store.get(item_id)
        assert copy is not None and copy[1] == files[item_id]
        assert record.mime == "image/png"
        assert record.expires_at == decided[item_id].decision.decided_at + timedelta(days=7)


def test_a_rerun_keeps_the_copies_missing_from_a_run_without_retention(tmp_path: Path) -> None:
    """Items identified by their content are decided again and already stored: their copies
    are kept then, expiring retention after the decision stored by the first run."""
    manifest, files = corpus(tmp_path / "corpus", with_ids=False)
    assert backfill(settings_for(tmp_path, retained=False), manifest, EngineKind.SERIAL) == (
        8,
        0,
        1,
    )
    settings = settings_for(tmp_path)
    assert backfill(settings, manifest, EngineKind.SERIAL) == (0, 8, 1)
    decided = stored_decisions(settings)
    store = build(settings).media.store
    assert store is not None
    assert kept_bytes(store) == sorted(
        data for name, data in files.items() if expected_action(name) != "allow"
    )
    for record in store.records():
        assert record.expires_at == decided[record.item_id].decision.decided_at + timedelta(days=7)


def memory_services(media: ReviewMedia | None = None) -> Services:
    services = build(load_settings(None, db_url="memory://"), store=InMemoryEventStore())
    return dataclasses.replace(services, media=media or ReviewMedia(store=InMemoryMediaStore()))


def record(name: str) -> UploadRecord:
    ai, category = KINDS[name.rsplit("-", 1)[0]]
    return UploadRecord(None, png(len(name), ai), name, {"category": category})


def test_decided_carries_bytes_only_for_copies_to_keep() -> None:
    on = memory_services()
    assert decide_record(on, record("review-1")).media_copy == png(len("review-1"), True)
    assert decide_record(on, record("label-1")).media_copy is not None
    assert decide_record(on, record("allow-1")).media_copy is None
    pdf = decide_record(on, UploadRecord(None, b"%PDF-1.7\n%%EOF\n", "doc", {"category": "news"}))
    assert pdf.media_copy is None

    off = build(load_settings(None, db_url="memory://"), store=InMemoryEventStore())
    assert off.media.store is None
    for name in ("review-1", "label-1", "allow-1"):
        decided = decide_record(off, record(name))
        assert decided.error is None and decided.media_copy is None


class BrokenStore(InMemoryMediaStore):
    def put(self, media: RetainedMedia, data: bytes) -> None:
        raise StoreUnavailable("media store /srv/media: disk full")


def test_a_copy_that_cannot_be_kept_is_logged_and_the_batch_is_stored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    services = memory_services(ReviewMedia(store=BrokenStore()))
    batch = [decide_record(services, record(n)) for n in ("review-1", "label-1", "allow-1")]
    written = store_decided(services, batch)
    assert [w.status for w in written] == [Status.STORED] * 3
    assert "could not retain the media of review-1" in caplog.text
    assert {d.item_id for d in services.store.decisions(limit=10)} == {
        "review-1",
        "label-1",
        "allow-1",
    }
    assert services.review_queue is not None
    assert [t.item_id for t in services.review_queue.list_tasks()] == ["review-1"]


def message(name: str) -> bytes:
    ai, category = KINDS[name.rsplit("-", 1)[0]]
    data = base64.b64encode(png(len(name), ai)).decode()
    return json.dumps({"id": name, "data_b64": data, "category": category}).encode()


def test_the_stream_batch_step_keeps_copies_as_a_scan_does() -> None:
    services = memory_services()
    names = ["review-1", "label-1", "allow-1", "allow-news-1"]
    records = [read_message(message(n), where=n) for n in names]
    results = handle_batch(services, records)
    assert [r.status for r in results] == [Status.STORED] * 4
    store = services.media.store
    assert store is not None
    assert sorted(m.item_id for m in store.records()) == ["label-1", "review-1"]
    kept = store.get("review-1")
    assert kept is not None and kept[1] == png(len("review-1"), True)
    decision = services.store.latest_decision("review-1")
    assert decision is not None and decision.action.value == "review"
    assert kept[0].expires_at == decision.decided_at + services.media.retention

    store.delete("label-1", at=services.clock(), reason="erased on request")
    again = handle_batch(services, records)  # a first delivery of stored items: no new copy
    assert [r.status for r in again] == [Status.ALREADY_STORED] * 4
    assert sorted(m.item_id for m in store.records()) == ["review-1"]
