"""Importing views, labels, appeals and notices: validated whole files, one transaction."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput
from deepscreen.service import scan_bytes
from deepscreen.service.impact import store_items
from deepscreen.service.impact_import import ImportKind, import_file
from deepscreen.settings import load_settings
from deepscreen.store.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def scanned():
    services = build(load_settings(None), store=InMemoryEventStore(), clock=ManualClock(T0))
    ai = scan_bytes(services, png((1, 2, 3), A1111), source="ai.png").item_id
    photo = scan_bytes(services, png((200, 9, 9)), source="photo.png").item_id
    return services, ai, photo


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_views_labels_appeals_notices_land_in_the_item_table(scanned, tmp_path: Path) -> None:
    services, ai, photo = scanned
    views = write(
        tmp_path,
        "views.csv",
        f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,4\n"
        f"{ai},2026-03-02T12:00+00:00,40\n{photo},2026-03-02T12:00Z,9\n",
    )
    labels = write(
        tmp_path, "labels.csv", f"item_id,violating,label\n{ai},true,ai_generated\n{photo},0,real\n"
    )
    appeals = write(
        tmp_path,
        "appeals.csv",
        "item_id,received_at,decided_at,outcome\n"
        f"{ai},2026-03-03T00:00Z,2026-03-04T00:00Z,upheld\n",
    )
    notices = write(
        tmp_path,
        "notices.csv",
        f"item_id,occurred_at,notifier\n{photo},2026-03-01T13:00Z,trusted_flagger\n",
    )
    counts = [
        import_file(services, kind, path).events
        for kind, path in [
            (ImportKind.VIEWS, views),
            (ImportKind.LABELS, labels),
            (ImportKind.APPEALS, appeals),
            (ImportKind.NOTICES, notices),
        ]
    ]
    assert counts == [3, 2, 1, 1]
    rows = {r["item_id"]: r for r in store_items(services).to_pylist()}
    assert rows[ai]["views_total"] == 44 and rows[ai]["views_before_action"] == 4
    assert rows[ai]["violating"] is True and rows[ai]["label_source"] == "import"
    assert rows[ai]["appeal_outcome"] == "upheld"
    assert rows[photo]["violating"] is False and rows[photo]["notice_at"] is not None


def test_a_bad_row_imports_nothing_and_names_the_lines(scanned, tmp_path: Path) -> None:
    services, ai, photo = scanned
    before = len(list(services.store.read()))
    path = write(
        tmp_path,
        "views.csv",
        f"item_id,occurred_at,views\n{ai},2026-03-01T11:00Z,4\n"
        f"{ai},2026-03-01T11:00,5\nsha256:nope,2026-03-01T11:00Z,1\n{photo},"
        "2026-03-01T11:00Z,-2\n",
    )
    with pytest.raises(InvalidInput) as error:
        import_file(services, ImportKind.VIEWS, path)
    message = str(error.value)
    assert "3 bad row(s), nothing imported" in message
    assert "line 3: occurred_at" in message and "no time zone" in message
    assert "line 4: unknown item id 'sha256:nope'" in message and "line 5: views -2" in message
    assert len(list(services.store.read())) == before


@pytest.mark.parametrize(
    ("kind", "text", "match"),
    [
        (ImportKind.VIEWS, "item_id,views\n", "missing occurred_at"),
        (ImportKind.LABELS, "item_id,violating\n{ai},maybe\n", "not true/false"),
        (
            ImportKind.APPEALS,
            "item_id,received_at,decided_at,outcome\n"
            "{ai},2026-03-05T00:00Z,2026-03-04T00:00Z,upheld\n",
            "decided before it was received",
        ),
        (
            ImportKind.APPEALS,
            "item_id,received_at,decided_at,outcome\n"
            "{ai},2026-03-03T00:00Z,2026-03-04T00:00Z,overturned\n",
            "not one of upheld",
        ),
        (
            ImportKind.NOTICES,
            "item_id,occurred_at,notifier\n{ai},2026-03-01T13:00Z,bot\n",
            "notifier 'bot'",
        ),
    ],
)
def test_invalid_files_are_refused_clearly(scanned, tmp_path: Path, kind, text, match) -> None:
    services, ai, _ = scanned
    path = write(tmp_path, "in.csv", text.format(ai=ai))
    with pytest.raises(InvalidInput, match=match):
        import_file(services, kind, path)


def test_parquet_with_real_timestamps(scanned, tmp_path: Path) -> None:
    services, ai, _ = scanned
    table = pa.table(
        {
            "item_id": [ai, ai],
            "occurred_at": pa.array([T0, T0.replace(day=2)], pa.timestamp("us", tz="UTC")),
            "views": [3, 5],
        }
    )
    pq.write_table(table, tmp_path / "views.parquet")
    assert import_file(services, ImportKind.VIEWS, tmp_path / "views.parquet").events == 2
    rows = {r["item_id"]: r for r in store_items(services).to_pylist()}
    assert rows[ai]["views_total"] == 8


def test_unreadable_and_unknown_formats(scanned, tmp_path: Path) -> None:
    services, _, _ = scanned
    with pytest.raises(InvalidInput, match=r"expected a \.csv or \.parquet"):
        import_file(services, ImportKind.VIEWS, write(tmp_path, "v.txt", "x"))
    with pytest.raises(InvalidInput, match="cannot read"):
        import_file(services, ImportKind.VIEWS, write(tmp_path, "v.parquet", "not parquet"))
