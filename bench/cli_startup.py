"""Benchmark: how long a person waits for the ``deepscreen`` command, start to exit.

Runs each command ``--runs`` times as a fresh process (wall time with ``time.perf_counter``
around ``subprocess.run``, CPU time from the children's ``getrusage``) and prints the median
and the fastest run, beside ``python -c pass`` as the anchor:

- ``deepscreen --version`` and ``deepscreen --help`` (goal: ≤ 0.3 s);
- ``deepscreen scan one.jpg --db memory://`` with the four provenance and hash detectors
  (c2pa, hashmatch, metadata, watermark: no learned detector, so no model load; goal ≤ 1.0 s);
- the same scan with the default detectors (the CLIP-based AI-image detector and the face
  finder load their models), and the models' load time measured in-process, so the scan's
  time without the model load can be read beside the goal;
- the provenance scan into a SQLite file (what a scan without ``--db memory://`` pays:
  SQLAlchemy and the schema).

The image is a generated 1024×768 JPEG (q90, seeded noise). Writes
bench/results/cli_startup.json (``--output``).

    .venv/bin/python bench/cli_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

RESULTS = Path(__file__).parent / "results" / "cli_startup.json"
CLI = str(Path(sys.executable).parent / "deepscreen")
PROVENANCE = ["c2pa", "hashmatch", "metadata", "watermark"]


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], *, runs: int, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Median and fastest wall time (and median CPU time) of ``runs`` fresh processes."""
    walls, cpus = [], []
    for _ in range(runs):
        cpu0, start = children_cpu_s(), time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu_s() - cpu0)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-800:]}")
    return {
        "median_s": statistics.median(walls),
        "best_s": min(walls),
        "cpu_median_s": statistics.median(cpus),
        "runs": runs,
    }


def model_load_s(env: dict[str, str]) -> dict[str, float]:
    """Seconds to build the default detectors with and without the two model-backed ones,
    in one fresh process each (the difference is their models' load)."""
    code = (
        "import time, json\n"
        "from deepscreen.settings import Settings\n"
        "from deepscreen.bootstrap import build\n"
        f"build(Settings(db_url='memory://', detectors={PROVENANCE!r}))\n"
        "t = time.perf_counter()\n"
        "build(Settings(db_url='memory://'))\n"
        "print(json.dumps(time.perf_counter() - t))\n"
    )
    with_models = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        with_models.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"default_detectors_build_s": statistics.median(with_models)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pixels = np.random.default_rng(0).integers(0, 256, (768, 1024, 3), dtype=np.uint8)
        image = work / "one.jpg"
        Image.fromarray(pixels).save(image, "JPEG", quality=90)
        base = {k: v for k, v in os.environ.items() if not k.startswith("DEEPSCREEN_")}
        provenance = {**base, "DEEPSCREEN_DETECTORS": json.dumps(PROVENANCE)}
        scan = [CLI, "scan", str(image), "--db"]
        rows = {
            "python -c pass": timed(
                [sys.executable, "-c", "pass"], runs=args.runs, env=base, cwd=work
            ),
            "deepscreen --version": timed([CLI, "--version"], runs=args.runs, env=base, cwd=work),
            "deepscreen --help": timed([CLI, "--help"], runs=args.runs, env=base, cwd=work),
            "scan one.jpg --db memory:// (provenance detectors)": timed(
                [*scan, "memory://"], runs=args.runs, env=provenance, cwd=work
            ),
            "scan one.jpg --db sqlite (provenance detectors)": timed(
                [*scan, f"sqlite:///{work / 'scan.db'}"], runs=args.runs, env=provenance, cwd=work
            ),
            "scan one.jpg --db memory:// (default detectors)": timed(
                [*scan, "memory://"], runs=args.runs, env=base, cwd=work
            ),
        }
        loads = model_load_s(base)

    goals = {
        "deepscreen --version": 0.3,
        "deepscreen --help": 0.3,
        "scan one.jpg --db memory:// (provenance detectors)": 1.0,
    }
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
        f"{args.runs} runs each, fresh process per run"
    )
    print(f"  {'command':<52} {'median s':>9} {'best s':>8} {'cpu s':>7}  goal")
    for name, row in rows.items():
        goal = goals.get(name)
        mark = (
            "" if goal is None else f"≤ {goal} s: {'met' if row['median_s'] <= goal else 'not met'}"
        )
        print(
            f"  {name:<52} {row['median_s']:>9.3f} {row['best_s']:>8.3f} "
            f"{row['cpu_median_s']:>7.3f}  {mark}"
        )
    default = rows["scan one.jpg --db memory:// (default detectors)"]["median_s"]
    build = loads["default_detectors_build_s"]
    print(
        f"  building the default detectors (model load: CLIP encoder, face finder) in-process: "
        f"{build:.3f} s; default-detector scan without it: {default - build:.3f} s"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "machine": {"processor": platform.processor(), "cpus": os.cpu_count()},
                "rows": rows,
                "goals_s": goals,
                "model_load": loads,
                "default_scan_without_model_load_s": default - build,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
