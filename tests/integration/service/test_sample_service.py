"""draw_sample over a store of scanned images: one LabelSampled per unit in one append, the
labeller CSV, the round trip to an estimate, and refused inputs."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import count

import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import Event, LabelSampled
from deepscreen.impact.items import build_items
from deepscreen.service import record_ground_truth, scan_bytes
from deepscreen.service.sample import CSV_COLUMNS, draw_sample, write_sample_csv
from deepscreen.settings import load_settings
from deepscreen.stats.weighted import precision_of_action, stratum_counts
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"


class RecordingStore(InMemoryEventStore):
    """The in-memory store, remembering every ``append`` batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[Event]] = []

    def append(self, events: Sequence[Event]) -> None:
        self.batches.append(list(events))
        super().append(events)


def png(index: int, parameters: str | None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    colour = (index * 13 % 256, 255 - index * 9, index * 37 % 256)
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def services(store: InMemoryEventStore, *, images: int = 16):
    ids = count()
    svc = build(
        load_settings(None),
        store=store,
        clock=ManualClock(T0),
        new_id=lambda: f"id{next(ids)}",
    )
    for i in range(images):  # every third image carries generator metadata: it gets labelled
        scan_bytes(svc, png(i, A1111 if i % 3 == 0 else None), source=f"img{i:02d}.png")
    return svc


def test_one_label_sampled_per_unit_in_one_append():
    store = RecordingStore()
    svc = services(store)
    before = len(store.batches)
    run = draw_sample(svc, size=12, seed=5, exploration_share=0.2)
    assert len(store.batches) == before + 1
    (batch,) = store.batches[before:]
    assert all(isinstance(e, LabelSampled) for e in batch)
    assert [(e.item_id, e.stratum, e.inclusion_probability) for e in batch] == [
        (u.item_id, u.stratum, u.inclusion_probability) for u in run.units
    ]
    assert {e.sample_id for e in batch} == {run.sample_id} and run.sample_id.startswith("sample-")
    assert {e.occurred_at for e in batch} == {T0} and run.drawn_at == T0
    assert len({e.item_id for e in batch}) == len(batch) == 12 + run.plan.exploration_size
    populations = {s.population for s in run.plan.strata}
    assert populations == {"actioned", "non_actioned"}


def test_sampled_items_carry_their_design_in_the_item_table():
    svc = services(InMemoryEventStore())
    run = draw_sample(svc, size=12, seed=1, sample_id="s-fixed")
    items = build_items(events_table(svc.store)).to_pylist()
    sampled = {r["item_id"]: r for r in items if r["sample_stratum"] is not None}
    assert set(sampled) == {u.item_id for u in run.units}
    for unit in run.units:
        assert sampled[unit.item_id]["inclusion_probability"] == unit.inclusion_probability
        assert sampled[unit.item_id]["sample_stratum"] == unit.stratum


def test_labels_of_the_sample_give_a_precision_estimate():
    svc = services(InMemoryEventStore())
    run = draw_sample(svc, size=16, seed=2, exploration_share=0)
    labels = [(u.item_id, T0, u.population == "actioned", "") for u in run.units]
    record_ground_truth(svc, labels, reviewer="label-import:test", reason_code="test")
    actioned = [u for u in run.units if u.population == "actioned"]
    counts = stratum_counts(
        [u.stratum for u in actioned], [True] * len(actioned), run.plan.population_sizes("actioned")
    )
    assert precision_of_action(counts).value == 1.0


def test_csv_for_labellers(tmp_path):
    svc = services(InMemoryEventStore())
    run = draw_sample(svc, size=12, seed=3)
    path = tmp_path / "to_label.csv"
    assert write_sample_csv(run, path) == len(run.units)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["item_id"] for r in rows] == [u.item_id for u in run.units]
    assert all(r["source"].startswith("img") and r["violating"] == "" for r in rows)
    units = {u.item_id: u for u in run.units}
    for r in rows:
        unit = units[r["item_id"]]
        assert float(r["inclusion_probability"]) == unit.inclusion_probability
        assert r["score"] == ("" if unit.score is None else repr(unit.score))
        assert r["action"] in {"allow", "label"} and r["sample_id"] == run.sample_id
    assert [p.name for p in tmp_path.iterdir()] == ["to_label.csv"]  # no partial file left


def test_an_empty_store_is_a_clear_error():
    store = RecordingStore()
    svc = build(load_settings(None), store=store, clock=ManualClock(T0))
    with pytest.raises(InvalidInput, match="no scanned items: scan media before sampling"):
        draw_sample(svc, size=10, seed=0)
    assert store.batches == []


def test_impossible_parameters_are_invalid_input_and_write_nothing():
    store = RecordingStore()
    svc = services(store)
    before = len(store.batches)
    with pytest.raises(InvalidInput, match="below the floor total"):
        draw_sample(svc, size=3, seed=0)
    with pytest.raises(InvalidInput, match="exploration share"):
        draw_sample(svc, size=12, seed=0, exploration_share=1.5)
    assert len(store.batches) == before
