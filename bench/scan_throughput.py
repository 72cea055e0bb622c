"""Benchmark: images/s of the full ``scan`` pipeline vs bare Pillow decode+convert, and the
cost of each stage (ms/image): decode, every detector, policy evaluation.

Both run on the same generated 1024×768 JPEGs (q90) and PNGs, on one pinned core, reading
the files from disk. The pipeline includes sniffing, limits, decode, EXIF orientation,
every enabled detector, policy evaluation and the SQLite (WAL) event store — one
transaction per item. Each round uses a fresh database, because scanning an item already
stored is (correctly) a no-op. Per-stage costs are medians over the same images, split by
format; the C2PA hit path is measured on copies of the JPEGs signed with a throw-away
certificate. Detectors share the pixels derived from an item (its RGB array, the PDQ
downscale: ``deepscreen.signals.pixels``), so each detector is timed on a fresh copy of the
item, as if it ran first; the shared derivations and all detectors on one item are timed too.
The ceiling is the same pipeline with every detector replaced by one that abstains at once:
what decode, policy and the store allow before any detector works. Prints the rates, their
ratio, the ceiling and the stage table, and writes bench/results/scan_throughput.json.

With the CLIP encoder installed (``deepscreen models fetch clip-vit-b16``), it also measures
the pipeline with the default AI-image detector on (every default detector; these images
declare nothing, so the cascade lets the pixel detector run on all of them) against the bare
model on the same images in the same run: Pillow decode, the head's normalisation and views,
and ``onnxruntime.InferenceSession.run`` on each view's tensor — the least work that yields the
model's outputs. The ratio is the pipeline's overhead over the model itself.

    .venv/bin/python bench/scan_throughput.py [--rounds 5] [--images 24] [--learned-rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_images import SIZE, make_images
from PIL import Image

from deepscreen.bootstrap import build
from deepscreen.core.media import MediaItem, MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.media import load_media
from deepscreen.policy.evaluate import evaluate, item_inputs, signal_inputs
from deepscreen.service import Services, run_detectors, scan_file
from deepscreen.settings import load_settings
from deepscreen.signals.hashmatch.pdq import hash_reduction_factor
from deepscreen.signals.pixels import box_reduced, rgb_array
from deepscreen.signals.testing import c2pa_fixtures

RESULTS = Path(__file__).parent / "results" / "scan_throughput.json"
PROVENANCE = ["c2pa", "hashmatch", "metadata", "watermark"]


def bare_decode(paths: list[Path]) -> None:
    for p in paths:
        with Image.open(io.BytesIO(p.read_bytes())) as im:
            im.convert("RGB")


class Abstaining:
    """Stands in for a detector (same name, version and media kinds) and abstains at once."""

    def __init__(self, detector) -> None:
        self.name, self.version = detector.name, detector.version
        self.media_kinds: frozenset[MediaKind] = detector.media_kinds

    def detect(self, item: MediaItem) -> SignalResult:
        return SignalResult.abstain(self.name, self.version, "benchmark stand-in")


def pipeline(
    paths: list[Path],
    db_dir: Path,
    round_no: int,
    detectors: list[str] | None = None,
    stand_ins: bool = False,
) -> float:
    """Seconds to scan every path into a fresh SQLite store (wiring the services is untimed);
    ``stand_ins`` replaces every detector by one that abstains at once (the ceiling)."""
    name = f"bench-{round_no}-{len(detectors or [])}{'-ceiling' if stand_ins else ''}.db"
    settings = load_settings(
        None, db_url=f"sqlite:///{db_dir / name}", detectors=detectors or PROVENANCE
    )
    services = build(settings)
    if stand_ins:
        services = dataclasses.replace(
            services, detectors=[Abstaining(d) for d in services.detectors]
        )
    try:
        start = time.perf_counter()
        for p in paths:
            scan_file(services, p)
        return time.perf_counter() - start
    finally:
        services.store.close()


def bare_round(paths: list[Path]) -> float:
    start = time.perf_counter()
    bare_decode(paths)
    return time.perf_counter() - start


def per_image_ms(fn, items: list, rounds: int) -> float:
    """Median over rounds of the mean ms per item of ``fn(item)``."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        times.append((time.perf_counter() - start) * 1000 / len(items))
    return statistics.median(times)


def signed_copies(paths: list[Path], count: int) -> list[bytes]:
    definition = c2pa_fixtures.manifest(
        [c2pa_fixtures.action("c2pa.created", "trainedAlgorithmicMedia")]
    )
    jpegs = [p for p in paths if p.suffix == ".jpg"][:count]
    return [c2pa_fixtures.sign(definition, "image/jpeg", p.read_bytes()) for p in jpegs]


def stage_costs(services: Services, paths: list[Path], rounds: int) -> dict[str, dict]:
    """ms/image of each stage, by format, measured on the same images as the pipeline."""
    by_format = {
        "jpeg": [p for p in paths if p.suffix == ".jpg"],
        "png": [p for p in paths if p.suffix == ".png"],
    }
    blobs = {fmt: [p.read_bytes() for p in ps] for fmt, ps in by_format.items()}
    items = {fmt: [load_media(b, source="bench") for b in bs] for fmt, bs in blobs.items()}
    signed = [load_media(b, source="signed") for b in signed_copies(paths, 8)]
    costs: dict[str, dict] = {
        "decode (load_media)": {
            fmt: per_image_ms(lambda b: load_media(b, source="bench"), bs, rounds)
            for fmt, bs in blobs.items()
        },
        # Only the watermark detector reads the array, and only on lossless files.
        "shared: RGB array (watermark)": {
            "png": per_image_ms(lambda i: rgb_array(fresh(i)), items["png"], rounds)
        },
        "shared: PDQ downscale (hashmatch)": {
            fmt: per_image_ms(lambda i: box_reduced(fresh(i), pdq_factor(i)), its, rounds)
            for fmt, its in items.items()
        },
    }
    for d in services.detectors:
        costs[f"detector {d.name}"] = {
            fmt: per_image_ms(lambda i, d=d: d.detect(fresh(i)), its, rounds)
            for fmt, its in items.items()
        }
        if d.name == "c2pa":
            costs["detector c2pa, hit path (signed JPEG)"] = {
                "jpeg": per_image_ms(lambda i, d=d: d.detect(fresh(i)), signed, rounds)
            }
    costs["all detectors, one item"] = {
        fmt: per_image_ms(lambda i: run_detectors(services.detectors, fresh(i)), its, rounds)
        for fmt, its in items.items()
    }

    def decide(item):
        results = run_detectors(services.detectors, item)
        inputs = {"signals": signal_inputs(results), "item": item_inputs(item)}
        return inputs

    inputs = {fmt: [decide(i) for i in its] for fmt, its in items.items()}
    now = services.clock()
    costs["policy evaluate"] = {
        fmt: per_image_ms(
            lambda x: evaluate(services.bundle, x, item_id="i", decision_id="d", decided_at=now),
            xs,
            rounds,
        )
        for fmt, xs in inputs.items()
    }
    return costs


def fresh(item: MediaItem) -> MediaItem:
    """A copy of ``item`` with nothing derived yet, so that a timing includes the derivations."""
    return dataclasses.replace(item)


def pdq_factor(item: MediaItem) -> int:
    return hash_reduction_factor(item.width, item.height)


def bare_model_round(paths: list[Path]) -> float:
    """Seconds for the least work that yields the head's model outputs for every path."""
    import onnxruntime as ort

    from deepscreen.bootstrap import models_dir
    from deepscreen.signals.learned.detector import default_head_path
    from deepscreen.signals.learned.head import load_head
    from deepscreen.signals.models.onnx_backbone import OnnxModelSpec, session_options

    head = load_head(default_head_path())
    spec = OnnxModelSpec.from_toml(models_dir(load_settings(None)) / "clip-vit-b16" / "model.toml")
    options = session_options(1, 1)  # the detector's own: exact int8 arithmetic on every CPU
    session = ort.InferenceSession(str(spec.model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    start = time.perf_counter()
    for p in paths:
        with Image.open(io.BytesIO(p.read_bytes())) as im:
            normalised = head.normalisation.apply(im.convert("RGB"))
        for view in head.views.inputs(normalised):
            session.run(None, {name: spec.preprocessing.tensor([view])})
    return time.perf_counter() - start


def learned_comparison(paths: list[Path], root: Path, rounds: int) -> dict | None:
    """Pipeline with the default AI-image detector vs the bare model, interleaved."""
    from deepscreen.bootstrap import models_dir

    if not (models_dir(load_settings(None)) / "clip-vit-b16" / "model.toml").is_file():
        return None
    detectors = [*PROVENANCE, "learned"]
    pipeline(paths[:2], root, -2, detectors)  # warm-up
    bare, full = [], []
    for r in range(rounds):
        bare.append(bare_model_round(paths))
        full.append(pipeline(paths, root, 100 + r, detectors))
    n = len(paths)
    return {
        "detectors": detectors,
        "bare_model_images_per_s": n / statistics.median(bare),
        "pipeline_images_per_s": n / statistics.median(full),
        "pipeline_time_over_bare_model_median": statistics.median(full) / statistics.median(bare),
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=24, help="JPEGs (and as many PNGs)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the JSON.")
    parser.add_argument("--learned-rounds", type=int, default=3, help="0 skips the learned part")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = make_images(root, args.images)
        bare_decode(paths)  # warm-up: page cache, imports
        pipeline(paths, root, -1)
        # Interleave the two so that drift in machine load hits both alike.
        bare: list[float] = []
        full: list[float] = []
        ceiling: list[float] = []
        for r in range(args.rounds):
            bare.append(bare_round(paths))
            full.append(pipeline(paths, root, r))
            ceiling.append(pipeline(paths, root, r, stand_ins=True))
        services = build(load_settings(None, db_url="memory://", detectors=PROVENANCE))
        stages = stage_costs(services, paths, args.rounds)
        learned = (
            learned_comparison(paths, root, args.learned_rounds) if args.learned_rounds else None
        )
    n = len(paths)
    rate = {
        name: {"best": n / min(t), "median": n / statistics.median(t)}
        for name, t in (("bare_decode", bare), ("scan_pipeline", full))
    }
    result = {
        "benchmark": "scan_throughput",
        "images": n,
        "size": f"{SIZE[0]}x{SIZE[1]}",
        "formats": "JPEG q90 + PNG, half each",
        "rounds": args.rounds,
        "cores": 1,
        "detectors": [d.name for d in services.detectors],
        "images_per_s": rate,
        "ratio_pipeline_over_bare_median": rate["scan_pipeline"]["median"]
        / rate["bare_decode"]["median"],
        "ceiling": {
            "what": "the pipeline with every detector abstaining at once",
            "images_per_s_median": n / statistics.median(ceiling),
            "ratio_over_bare_median": statistics.median(bare) / statistics.median(ceiling),
        },
        "stage_ms_per_image": stages,
        "learned": learned,
        "python": sys.version.split()[0],
        "machine": platform.machine(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{n} images ({result['formats']}, {result['size']}), 1 core, {args.rounds} rounds")
    for name, r in rate.items():
        print(f"  {name:14s} {r['median']:7.1f} img/s median  ({r['best']:.1f} best)")
    print(f"  ratio scan/bare (median): {result['ratio_pipeline_over_bare_median']:.2f}")
    print(
        f"  ceiling (detectors abstain at once): {result['ceiling']['images_per_s_median']:.1f}"
        f" img/s, ratio {result['ceiling']['ratio_over_bare_median']:.2f}"
    )
    print(f"\n  {'stage (ms/image, median)':40s} {'JPEG':>8s} {'PNG':>8s}")
    for stage, by_fmt in stages.items():
        cells = [f"{by_fmt[f]:8.2f}" if f in by_fmt else f"{'-':>8s}" for f in ("jpeg", "png")]
        print(f"  {stage:40s} {' '.join(cells)}")
    if learned is not None:
        print(
            "\n  with the AI-image detector: pipeline "
            f"{learned['pipeline_images_per_s']:.2f} img/s,"
            f" bare model {learned['bare_model_images_per_s']:.2f} img/s; pipeline time / bare "
            f"model time (median) {learned['pipeline_time_over_bare_model_median']:.3f}"
        )
    else:
        print("\n  (CLIP encoder not installed: the AI-image detector part was skipped)")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
