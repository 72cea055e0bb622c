"""Benchmark: the full impact metric table over 10,000,000 items vs a bare DuckDB GROUP BY.

Generates a seeded synthetic item table (``impact.items.ITEM_SCHEMA``: decisions with scores,
actions, labels on a 2% sample, views, notices, appeals over 90 days and 8 segments), then in
one run times (1) a bare DuckDB ``GROUP BY month, segment`` count over the same Arrow table,
(2) ``metric_table`` without bootstrap, and (3) ``metric_table`` with 1,000 bootstrap
replicates on 1,000,000 items. Prints the seconds and the ratio full/bare (goal, issue 20:
≤ 1.5); writes bench/results/impact.json with the 1-minute load average. Synthetic data: it
measures cost, not any platform's numbers.

    .venv/bin/python bench/impact.py [--items 10000000] [--bootstrap-items 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metrics import metric_table

RESULTS = Path(__file__).parent / "results" / "impact.json"
TARGET_RATIO = 1.5
SEGMENTS = np.array(["news", "politics", "sports", "memes", "food", "music", "travel", "other"])
ACTIONS = np.array(["allow", "label", "downrank", "age_gate", "remove", "review"])


def synthetic_items(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-09-01T00:00:00", "us")
    ingested = start + rng.integers(0, 90 * 86_400_000_000, n).astype("timedelta64[us]")
    violating_truth = rng.random(n) < 0.012
    score = np.clip(rng.beta(1, 12, n) + violating_truth * rng.beta(6, 2, n), 0, 1)
    action_index = np.select(
        [score > 0.95, score > 0.85, score > 0.7, score > 0.6], [4, 1, 5, 2], default=0
    )
    action = ACTIONS[action_index]
    enforced_auto = np.isin(action_index, (1, 2, 3, 4))
    labelled = (rng.random(n) < 0.02) | (action_index == 5)
    violating = np.where(labelled, violating_truth, None)
    reviewed_at = ingested + (rng.exponential(6 * 3600, n) * 1e6).astype("timedelta64[us]")
    review_confirms = (action_index == 5) & violating_truth
    enforced = enforced_auto | review_confirms
    decided = ingested + (rng.exponential(2, n) * 1e6).astype("timedelta64[us]")
    enforced_at = np.where(enforced_auto, decided, np.where(review_confirms, reviewed_at, None))
    views_total = rng.negative_binomial(0.3, 0.003, n).astype(np.int64)
    before = np.where(enforced, np.minimum(views_total, rng.negative_binomial(0.3, 0.03, n)), None)
    noticed = rng.random(n) < 0.01
    notice_at = np.where(noticed, ingested + np.timedelta64(3_600_000_000, "us"), None)
    appealed = enforced & (rng.random(n) < 0.05)
    outcome = np.where(
        appealed, rng.choice(["upheld", "reversed", "partially_reversed", "omitted"], n), None
    )
    appeal_received = np.where(appealed, ingested + np.timedelta64(86_400_000_000, "us"), None)
    appeal_decided = np.where(appealed, ingested + np.timedelta64(2 * 86_400_000_000, "us"), None)
    ts = ITEM_SCHEMA.field("ingested_at").type
    columns = {
        "item_id": pa.array(np.char.add("i", np.arange(n).astype(str))),
        "ingested_at": pa.array(ingested, ts),
        "kind": pa.array(np.full(n, "image")),
        "segment": pa.array(SEGMENTS[rng.integers(0, len(SEGMENTS), n)]),
        "policy_revision": pa.array(np.where(rng.random(n) < 0.5, "r-1", "r-2")),
        "rule_id": pa.array(np.where(action_index > 0, "rule", None)),
        "action": pa.array(action),
        "decided_at": pa.array(decided, ts),
        "score": pa.array(score),
        "detected_at": pa.array(decided, ts),
        "notice_at": pa.array(notice_at, ts),
        "violating": pa.array(violating, pa.bool_()),
        "reviewed_at": pa.array(np.where(labelled, reviewed_at, None), ts),
        "review_action": pa.array(np.where(review_confirms, "remove", None)),
        "label_source": pa.array(np.where(labelled, "review", None)),
        "inclusion_probability": pa.array(np.full(n, None), pa.float64()),
        "sample_stratum": pa.array(np.full(n, None), pa.string()),
        "enforced": pa.array(enforced),
        "enforced_at": pa.array(enforced_at, ts),
        "enforced_action": pa.array(
            np.where(enforced, np.where(review_confirms, "remove", action), None)
        ),
        "automated": pa.array(enforced_auto),
        "views_total": pa.array(views_total),
        "views_before_action": pa.array(before, pa.int64()),
        "appeal_received_at": pa.array(appeal_received, ts),
        "appeal_decided_at": pa.array(appeal_decided, ts),
        "appeal_outcome": pa.array(outcome, pa.string()),
    }
    return pa.table(columns).cast(ITEM_SCHEMA)


def timed(run):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000_000)
    parser.add_argument("--bootstrap-items", type=int, default=1_000_000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    generate_s, items = timed(lambda: synthetic_items(args.items, args.seed))
    con = duckdb.connect()
    con.register("items", items)
    bare_s, _ = timed(
        lambda: con.sql(
            "SELECT date_trunc('month', ingested_at) AS m, segment, count(*) "
            "FROM items GROUP BY ALL"
        ).fetchall()
    )
    full_s, table = timed(
        lambda: metric_table(items, period="month", bootstrap=False, n_boot=args.n_boot)
    )
    sample = items.slice(0, args.bootstrap_items)
    boot_s, boot_table = timed(
        lambda: metric_table(
            sample, period="all", by_segment=False, by_policy=False, n_boot=args.n_boot
        )
    )
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "synthetic": True,
        "items": args.items,
        "generate_seconds": round(generate_s, 2),
        "bare_duckdb_group_by_seconds": round(bare_s, 3),
        "metric_table_seconds": round(full_s, 2),
        "metric_rows": table.num_rows,
        "ratio_full_over_bare": round(full_s / bare_s, 2),
        "target": {"ratio_full_over_bare": TARGET_RATIO, "met": full_s / bare_s <= TARGET_RATIO},
        "load_average_1m": round(os.getloadavg()[0], 2),
        "bootstrap": {
            "items": sample.num_rows,
            "replicates": args.n_boot,
            "seconds": round(boot_s, 2),
            "metric_rows": boot_table.num_rows,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{args.items:,} synthetic items (generated in {generate_s:.1f} s)")
    print(f"bare DuckDB GROUP BY month, segment count: {bare_s:.3f} s")
    print(f"full metric table, no bootstrap:          {full_s:.2f} s ({table.num_rows} rows)")
    print(f"ratio full / bare: {full_s / bare_s:.2f} (goal ≤ {TARGET_RATIO})")
    print(
        f"metric table with {args.n_boot} bootstrap replicates on {sample.num_rows:,} items: "
        f"{boot_s:.2f} s"
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
