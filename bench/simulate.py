"""Benchmark: one replication of the platform simulator on one pinned core, with its time split.

Runs ``simulate.run.simulate_run`` once on the LARGE shipped scenario (30 days × 1,000,000
uploads/day; ``--scenario small`` or a YAML path, ``--days N`` and ``--per-day N`` override)
under the shipped default policy, pinned to one CPU core (``os.sched_setaffinity``). Prints
items/s and where the time went, measured by wrapping the functions ``simulate_run`` calls:

- policy: time inside ``PolicyBridge.decide`` (the real bundle, evaluated per distinct input);
- engagement: ``draw_engagement`` + ``views_outcome``;
- review queue: ``capacity_per_hour`` + ``ReviewQueue.advance``;
- tables: the item-table batches (``_item_table``) + the metric table
  (``MetricAccumulator.add`` and ``.table``);
- costs: ``cost_report`` per batch; other: the rest (arrivals, population, scores, carrying
  the review backlog over, appeals).

The target (issue 20) is 30 days × 1,000,000 uploads/day in under 15 s; the JSON says whether
this run met it (only meaningful for the full large scenario) and the 1-minute load average. It
also records the peak RSS and, per part, the process's peak RSS when that part last returned
(which part grew it). The run is streamed by day with ``keep_items=False``: memory is a day's
items plus the review backlog, so the peak should not grow with ``--days`` (compare ``--days 3``
with 30). Simulated data: it measures cost, not any platform. Writes bench/results/simulate.json
(``--output`` to override).

    .venv/bin/python bench/simulate.py [--scenario large] [--days N] [--per-day N] [--seed N]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deepscreen.bootstrap import default_policy_dir
from deepscreen.impact.metric_stream import MetricAccumulator
from deepscreen.policy.bundle import load_bundle
from deepscreen.simulate import run as run_module
from deepscreen.simulate.policy_bridge import PolicyBridge
from deepscreen.simulate.review_queue import ReviewQueue
from deepscreen.simulate.scenario import load_scenario

RESULTS = Path(__file__).parent / "results" / "simulate.json"
PEAK_AFTER: dict[str, float] = {}  # part → process peak RSS (MiB) when it last returned
TARGET_SECONDS = 15.0
TARGET_DAYS = 30
TARGET_PER_DAY = 1_000_000
DEFAULT_SIGNALS = ["c2pa", "hashmatch", "metadata", "watermark"]  # settings' default detectors
# Part of the split → names in deepscreen.simulate.run that simulate_run calls.
PARTS: dict[str, tuple[str, ...]] = {
    "engagement": ("draw_engagement", "views_outcome"),
    "review_queue": ("capacity_per_hour",),
    "item_table": ("_item_table",),
    "costs": ("cost_report",),
}
# Part → (class, method) pairs, patched on the class.
METHODS: dict[str, tuple[tuple[type, str], ...]] = {
    "policy": ((PolicyBridge, "decide"),),
    "review_queue": ((ReviewQueue, "advance"),),
    "metric_table": ((MetricAccumulator, "add"), (MetricAccumulator, "table")),
}


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _timed(fn: Callable[..., Any], spent: dict[str, float], part: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - start
            PEAK_AFTER[part] = max(PEAK_AFTER.get(part, 0.0), _max_rss_mib())

    return wrapper


@contextmanager
def instrumented(spent: dict[str, float]) -> Iterator[None]:
    """Accumulate the time of each part in ``spent`` while inside (restored on exit)."""
    saved: list[tuple[object, str, Any]] = []
    for part, methods in METHODS.items():
        for owner, name in methods:
            original = getattr(owner, name)
            saved.append((owner, name, original))
            setattr(owner, name, _timed(original, spent, part))
    for part, names in PARTS.items():
        for name in names:
            original = getattr(run_module, name)
            saved.append((run_module, name, original))
            setattr(run_module, name, _timed(original, spent, part))
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            setattr(owner, name, original)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="large", help="Shipped name or a YAML path.")
    parser.add_argument("--days", type=int, default=None, help="Override the scenario's days.")
    parser.add_argument("--per-day", type=int, default=None, help="Override uploads.per_day.")
    parser.add_argument("--seed", type=int, default=None, help="Default: the scenario's seed.")
    parser.add_argument("--policy", type=Path, default=None, help="Bundle dir; default shipped.")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Where to write the JSON.")
    args = parser.parse_args()

    core = None
    if hasattr(os, "sched_setaffinity"):
        core = sorted(os.sched_getaffinity(0))[0]
        os.sched_setaffinity(0, {core})

    scenario = load_scenario(args.scenario)
    overrides: dict[str, object] = {}
    if args.days is not None:
        overrides["days"] = args.days
    if args.per_day is not None:
        overrides["uploads.per_day"] = args.per_day
    if overrides:
        scenario = scenario.with_overrides(overrides)
    bundle = load_bundle(args.policy or default_policy_dir(), known_signals=DEFAULT_SIGNALS)
    seed = scenario.seed if args.seed is None else args.seed

    spent: dict[str, float] = defaultdict(float)
    with instrumented(spent):
        start = time.perf_counter()
        result = run_module.simulate_run(
            scenario, bundle, seed=seed, signal_names=DEFAULT_SIGNALS, keep_items=False
        )
        total = time.perf_counter() - start
    items = result.item_count
    parts = {
        "policy": spent["policy"],
        "engagement": spent["engagement"],
        "review_queue": spent["review_queue"],
        "item_and_metric_tables": spent["item_table"] + spent["metric_table"],
        "costs": spent["costs"],
    }
    parts["other"] = max(total - sum(parts.values()), 0.0)
    full_size = scenario.days == TARGET_DAYS and scenario.uploads.per_day == TARGET_PER_DAY
    result_json = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "simulated": True,
        "scenario": scenario.name,
        "days": scenario.days,
        "per_day": scenario.uploads.per_day,
        "seed": seed,
        "pinned_core": core,
        "policy": bundle.name,
        "policy_revision": bundle.revision,
        "items": items,
        "seconds_total": round(total, 3),
        "items_per_s": round(items / total, 1) if total > 0 else None,
        "seconds": {name: round(value, 3) for name, value in parts.items()},
        "share": {
            name: round(value / total, 4) if total > 0 else None for name, value in parts.items()
        },
        "seconds_detail": {
            "item_table": round(spent["item_table"], 3),
            "metric_table": round(spent["metric_table"], 3),
        },
        "max_rss_mib": round(_max_rss_mib(), 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "max_rss_mib_after": {name: round(value) for name, value in PEAK_AFTER.items()},
        "target": {
            "days": TARGET_DAYS,
            "per_day": TARGET_PER_DAY,
            "seconds": TARGET_SECONDS,
            "full_size_run": full_size,
            "met": (total < TARGET_SECONDS) if full_size else None,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result_json, indent=1) + "\n")

    print(f"scenario {scenario.name!r}: {scenario.days} days × {scenario.uploads.per_day:,}/day")
    print(f"{items:,} items in {total:.2f} s on core {core}: {items / total:,.0f} items/s")
    for name, value in parts.items():
        print(f"  {name:<24} {value:8.2f} s  {value / total:6.1%}")
    print(f"peak RSS {result_json['max_rss_mib']:,.0f} MiB")
    if full_size:
        verdict = "met" if total < TARGET_SECONDS else "NOT met"
        print(f"target 30 days × 1,000,000 uploads/day in < {TARGET_SECONDS:.0f} s: {verdict}")
    else:
        target = f"30 days × 1,000,000 uploads/day in < {TARGET_SECONDS:.0f} s"
        print(f"target ({target}): not a full-size run")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
