"""The local engine's processes: started with the engine, before the first batch is read; a
worker that cannot start, or dies mid-run, stops the run with a typed error and nothing
half-stored; the manifest is never read far ahead of the workers."""

from __future__ import annotations

import io
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.events import DecisionMade
from deepscreen.scale.backfill import run_backfill
from deepscreen.scale.engines import (
    IN_FLIGHT_PER_WORKER,
    LocalEngine,
    WorkerCrashed,
    WorkerStartFailed,
)
from deepscreen.scale.records import UploadRecord
from deepscreen.scale.writer import Written
from deepscreen.settings import Settings


def records(n: int) -> list[UploadRecord]:
    """``n`` distinct small PNGs, carried inline."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)).save(buf, "PNG")
        out.append(UploadRecord(None, data=buf.getvalue(), item_id=f"item-{i:03d}"))
    return out


def settings(tmp_path: Path, **changes: object) -> Settings:
    models = tmp_path / "models"  # none installed: the workers start fast
    models.mkdir(exist_ok=True)
    return Settings(db_url=f"sqlite:///{tmp_path / 'store.db'}", models_dir=str(models), **changes)


def stored_items(tmp_path: Path) -> list[str]:
    services = build(settings(tmp_path))
    try:
        return sorted(
            e.item_id for e in services.store.read(kinds={"decision_made"})
            if isinstance(e, DecisionMade)
        )  # fmt: skip
    finally:
        services.store.close()


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_workers_start_with_the_engine_before_the_first_batch_is_read(
    tmp_path: Path, method: str
) -> None:
    engine = LocalEngine(settings(tmp_path), workers=2, start_method=method)
    processes_when_read: list[int] = []

    def batches() -> Iterator[list[UploadRecord]]:
        processes_when_read.append(len(engine._pool._processes))
        yield records(3)

    try:
        decided = [d for batch in engine.run(batches()) for d in batch]
    finally:
        engine.close()
    assert processes_when_read == [2]
    assert engine.start_method == method
    assert [d.error for d in decided] == [None, None, None]


def test_a_worker_that_cannot_start_stops_the_run_with_a_typed_error_storing_nothing(
    tmp_path: Path,
) -> None:
    services = build(settings(tmp_path))
    broken = settings(tmp_path, policy_dir=str(tmp_path / "no-such-policy"))
    engine = LocalEngine(broken, workers=2)
    try:
        with pytest.raises(WorkerStartFailed, match="a worker could not start: .*no-such-policy"):
            run_backfill(services, records(8), engine, batch_size=2)
    finally:
        engine.close()
        services.store.close()
    assert stored_items(tmp_path) == []


def test_a_worker_killed_mid_run_stops_the_run_with_a_typed_error_and_whole_batches(
    tmp_path: Path,
) -> None:
    services = build(settings(tmp_path))
    engine = LocalEngine(settings(tmp_path), workers=2)
    written: list[str] = []

    def kill_a_worker(batch: list[Written]) -> None:
        if not written:
            os.kill(next(iter(engine._pool._processes)), signal.SIGKILL)
        written.extend(w.decided.item_id or "" for w in batch)

    try:
        with pytest.raises(WorkerCrashed, match="run the backfill again"):
            run_backfill(services, records(40), engine, batch_size=2, on_batch=kill_a_worker)
    finally:
        engine.close()
        services.store.close()
    stored = stored_items(tmp_path)
    assert stored == sorted(written)  # every batch written whole, nothing else
    assert 2 <= len(stored) < 40 and len(stored) % 2 == 0


def test_the_manifest_is_read_at_most_a_bounded_number_of_batches_ahead(tmp_path: Path) -> None:
    engine = LocalEngine(settings(tmp_path), workers=2)
    in_flight = IN_FLIGHT_PER_WORKER * engine.workers
    corpus = records(30)
    read = 0

    def batches() -> Iterator[list[UploadRecord]]:
        nonlocal read
        for i in range(0, len(corpus), 2):
            read += 1
            yield corpus[i : i + 2]

    ahead = []
    received = 0
    try:
        for _batch in engine.run(batches()):
            received += 1
            ahead.append(read - received)
    finally:
        engine.close()
    assert received == 15
    assert max(ahead) <= 2 * in_flight
