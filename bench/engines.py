"""Benchmark: backfill throughput per engine on one generated corpus, in one run.

Generates ``--items`` distinct JPEGs (seeded noise with smooth structure, ``--width`` ×
``--height``, a third carrying Automatic1111 generator metadata) and a JSONL manifest, then
backfills the same manifest into a fresh SQLite database per configuration:

- ``serial``: the driver decides every record itself, pinned to one core and tuned as one worker
  (the baseline: what one worker process does);
- ``local`` with 1 and 2 processes (a pool started with the engine — ``fork`` from this
  single-threaded driver — detectors loaded once per process);
- ``ray`` with 2 actors on a local Ray instance (started inside the timing).

Each configuration reports wall seconds from the engine's creation to its last write, the time
to the first written batch (start-up: Ray's daemons, spawning processes, loading detectors),
items/s over the whole run and over the steady part (after the first batch),
and the speed-up over serial measured in this run. Every configuration must store the same
decisions (checked: same action per item). Bounded by ``--items`` and ``--deadline`` seconds
(a configuration started after the deadline is skipped and marked so). Writes
bench/results/engines.json (``--output``), with the load average before and after (the
ratios are only comparable within one run on an otherwise idle machine).

Every configuration runs the same detectors with the same settings. Model files are read from
``--models-dir``, by default an empty directory: the ``learned`` and ``faces`` detectors then
abstain (model not installed) whatever the caller's model cache holds, so the result does not
depend on what was fetched; pass ``--models-dir ~/.cache/deepscreen/models`` to measure with
the models (much slower per image).

    .venv/bin/python bench/engines.py [--items 1500] [--batch-size 16] [--no-ray]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.events import DecisionMade
from deepscreen.scale.backfill import run_backfill
from deepscreen.scale.engines import EngineKind, make_engine
from deepscreen.scale.manifest import read_manifest
from deepscreen.settings import load_settings

RESULTS = Path(__file__).parent / "results" / "engines.json"
A1111 = "a lighthouse at dusk\nSteps: 30, Sampler: DPM++ 2M, CFG scale: 7, Seed: 7, Size: 768x512"


def make_corpus(directory: Path, count: int, width: int, height: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    media = directory / "media"
    media.mkdir(parents=True)
    yy, xx = np.mgrid[0:height, 0:width]
    lines = []
    for i in range(count):
        phase = rng.uniform(0, 6.28, 3)
        base = np.stack([np.sin(xx / (9 + c) + yy / 17 + phase[c]) for c in range(3)], axis=-1)
        noise = rng.normal(0, 18, (height, width, 3))
        pixels = np.clip(127 + 90 * base + noise, 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        exif = Image.Exif()
        if i % 3 == 0:
            exif[0x9286] = b"ASCII\x00\x00\x00" + A1111.encode()  # EXIF UserComment
        Image.fromarray(pixels).save(buf, "JPEG", quality=90, exif=exif.tobytes())
        (media / f"{i:05d}.jpg").write_bytes(buf.getvalue())
        lines.append(json.dumps({"id": f"bench-{i:05d}", "uri": f"media/{i:05d}.jpg"}))
    manifest = directory / "manifest.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def run_one(
    kind: EngineKind, workers: int, manifest: Path, db_dir: Path, batch_size: int, models: Path
) -> dict[str, Any]:
    """One configuration; ``serial`` runs pinned to one core, tuned as one worker
    (``scale.tuning``: one thread per library, malloc thresholds), the affinity restored
    afterwards so later pools get every core."""
    if kind is not EngineKind.SERIAL or not hasattr(os, "sched_setaffinity"):
        return _run_one(kind, workers, manifest, db_dir, batch_size, models)
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        return _run_one(kind, workers, manifest, db_dir, batch_size, models)  # tuned as one worker
    finally:
        os.sched_setaffinity(0, cores)


def _run_one(
    kind: EngineKind, workers: int, manifest: Path, db_dir: Path, batch_size: int, models: Path
) -> dict[str, Any]:
    url = f"sqlite:///{db_dir / f'{kind.value}-{workers}.db'}"
    settings = load_settings(None, db_url=url, models_dir=str(models))
    services = build(settings)
    started = time.perf_counter()
    engine = make_engine(kind, settings, workers=workers, services=services)
    first_result: list[float] = []

    def on_batch(_written: object) -> None:
        if not first_result:
            first_result.append(time.perf_counter())

    try:
        created = time.perf_counter()
        tally = run_backfill(
            services, read_manifest(str(manifest)), engine, batch_size=batch_size,
            on_batch=on_batch,
        )  # fmt: skip
        finished = time.perf_counter()
        actions = {
            e.item_id: e.decision.action.value
            for e in services.store.read(kinds={"decision_made"})
            if isinstance(e, DecisionMade)
        }
    finally:
        engine.close()
        services.store.close()
    total = finished - started
    startup = (first_result[0] if first_result else finished) - started
    steady = finished - (first_result[0] if first_result else created)
    steady_items = tally.stored - batch_size  # the first batch's items arrive with first_result
    return {
        "engine": kind.value,
        "workers": workers,
        "start_method": getattr(engine, "start_method", None),
        "stored": tally.stored,
        "failed": tally.failed,
        "seconds": round(total, 3),
        "first_batch_s": round(startup, 3),
        "items_per_s": round(tally.stored / total, 2) if total > 0 else None,
        "steady_items_per_s": round(steady_items / steady, 2) if steady > 0 else None,
        "actions": dict(Counter(actions.values())),
        "_by_item": actions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=480)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deadline", type=float, default=900.0)
    parser.add_argument("--no-ray", action="store_true", help="Skip the Ray configuration.")
    parser.add_argument(
        "--models-dir", type=Path, default=None, help="Model cache (default: an empty one)."
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
    configs = [(EngineKind.SERIAL, 1), (EngineKind.LOCAL, 1), (EngineKind.LOCAL, 2)]
    if not args.no_ray:
        configs.append((EngineKind.RAY, 2))
    began = time.perf_counter()
    load_before = _load()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="deepscreen-engines-") as tmp:
        directory = Path(tmp)
        manifest = make_corpus(directory / "corpus", args.items, args.width, args.height, args.seed)
        models = args.models_dir.expanduser().resolve() if args.models_dir else directory / "models"
        models.mkdir(parents=True, exist_ok=True)
        os.chdir(directory)  # no deepscreen.toml from the caller's directory
        for kind, workers in configs:
            if time.perf_counter() - began > args.deadline:
                rows.append({"engine": kind.value, "workers": workers, "skipped": "deadline"})
                continue
            rows.append(run_one(kind, workers, manifest, directory, args.batch_size, models))
    measured = [r for r in rows if "skipped" not in r]
    reference = measured[0]
    reference_actions = reference["_by_item"]
    for row in measured:
        row["speedup_vs_serial"] = round(reference["seconds"] / row["seconds"], 2)
        row["same_decisions_as_serial"] = row.pop("_by_item") == reference_actions
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": sys.version.split()[0],
        "items": args.items,
        "image": f"{args.width}x{args.height} JPEG q90",
        "batch_size": args.batch_size,
        "models": str(args.models_dir) if args.models_dir else "none (learned, faces abstain)",
        "load_average_1m": {"before": load_before, "after": _load()},
        "configs": rows,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.items} images {result['image']}, batch {args.batch_size}, {result['machine']}")
    print(f"load average (1 min): {load_before} before, {result['load_average_1m']['after']} after")
    print(f"{'engine':<8}{'workers':>8}{'seconds':>9}{'1st batch':>10}{'items/s':>9}"
          f"{'steady/s':>10}{'× serial':>10}  same decisions")  # fmt: skip
    for row in rows:
        if "skipped" in row:
            print(f"{row['engine']:<8}{row['workers']:>8}  skipped ({row['skipped']})")
            continue
        print(
            f"{row['engine']:<8}{row['workers']:>8}{row['seconds']:>9.2f}{row['first_batch_s']:>10.2f}"
            f"{row['items_per_s']:>9.1f}{row['steady_items_per_s'] or 0:>10.1f}"
            f"{row['speedup_vs_serial']:>10.2f}  {row['same_decisions_as_serial']}"
        )
    print(f"wrote {args.output}")


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


if __name__ == "__main__":
    main()
