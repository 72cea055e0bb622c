"""Benchmark: the streaming worker on NATS JetStream, on loopback — sustained items/s and
end-to-end latency p50/p99 from publish to stored decision.

For each worker count (``--workers 1 2``: worker processes, each ``run_worker`` as ``deepscreen
worker`` runs it, sharing one durable consumer) on a fresh stream and a fresh SQLite file:

* backlog — ``--items`` uploads are published first, then the workers (already wired: imports
  and detectors loaded) are let go and drain them: sustained items/s = stored items ÷ (last
  store − go), which includes connecting to NATS;
* paced — ``--paced`` more uploads are published at ``--load`` × the backlog rate while the
  workers run: latency from publish to stored decision. Publish time: ``time.time_ns()`` just
  before ``js.publish``, carried in the message as ``attributes.published_at_ns``; stored time:
  ``time.time_ns()`` in the worker once ``store_decided``'s transaction has committed (the same
  clock: one machine).

Uploads are ``deepscreen publish``'s generated 64×64 PNGs (seeded noise, a quarter with
Automatic1111 metadata), inline in the message. The in-process reference decides and stores the
same kind of images with ``decide_record`` + ``store_decided`` in batches of ``--concurrency``,
no broker, one process: the ratio stream ÷ in-process is what the broker round trips, JSON and
base64 cost. With 2 workers on this 2-core machine the publisher shares the cores.

Bounded: ``--items`` and ``--paced`` per worker count, ``--deadline`` seconds overall (a phase
cut by it says so). Only the loopback broker is used. Streams made here are deleted. Writes
bench/results/stream.json (``--output``).

    .venv/bin/python bench/stream.py [--items 2000] [--paced 1000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nats
import numpy as np

from deepscreen.bootstrap import build
from deepscreen.scale.publish import Uploads, generated_png, is_ai, publish_uploads
from deepscreen.scale.records import UploadRecord, decide_record
from deepscreen.scale.stream import StreamOptions, run_worker
from deepscreen.scale.stream_messages import Result
from deepscreen.scale.writer import store_decided
from deepscreen.settings import load_settings

RESULTS = Path(__file__).parent / "results" / "stream.json"
DURABLE = "bench"


def worker_process(
    url: str, stream: str, db: str, concurrency: int, out: str, ready: Any, go: Any
) -> None:
    """One worker process: wired, it says ``ready`` and waits for ``go``; then it consumes
    until SIGTERM and writes what it stored and when."""
    services = build(load_settings(None, db_url=db))
    ready.set()
    go.wait(timeout=600)
    rows: list[tuple[str | None, int, int]] = []

    def on_stored(record: UploadRecord, result: Result) -> None:
        published = int(record.attributes.get("published_at_ns", 0))
        rows.append((record.item_id, published, result.stored_ns))

    options = StreamOptions(url=url, stream=stream, durable=DURABLE, concurrency=concurrency)
    try:
        counts = run_worker(services, options, on_stored=on_stored)
    finally:
        services.store.close()
    Path(out).write_text(json.dumps({"counts": counts.as_dict(), "rows": rows}))


class Pregenerated:
    """``Uploads`` made before the paced phase, so that making images does not take CPU from
    the workers while it is measured."""

    def __init__(self, uploads: Uploads) -> None:
        self.attributes = uploads.attributes
        self._messages = list(uploads.messages())

    def messages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self._messages)


def stored(db_file: Path) -> int:
    if not db_file.exists():
        return 0
    try:
        with sqlite3.connect(db_file, timeout=10) as con:
            row = con.execute(
                "SELECT count(*) FROM events WHERE event_type = 'decision_made'"
            ).fetchone()
    except sqlite3.OperationalError:  # schema not created yet
        return 0
    return int(row[0])


def wait_stored(db_file: Path, target: int, deadline: float) -> bool:
    while stored(db_file) < target:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values), q)), 2) if values else None


def rate(times_ns: list[int]) -> float | None:
    """Items/s: the first time is the workers' start, the others are stores."""
    if len(times_ns) < 2:
        return None
    span = (max(times_ns) - min(times_ns)) / 1e9
    return round((len(times_ns) - 1) / span, 1) if span > 0 else None


def run_config(url: str, workers: int, args: argparse.Namespace, workdir: Path, end: float):
    stream = f"bench{uuid.uuid4().hex[:10]}"
    db_file = workdir / f"stream-{workers}.db"
    db = f"sqlite:///{db_file}"
    subject = f"{stream}.new"
    backlog = Uploads(count=args.items, prefix="backlog-", seed=args.seed)
    asyncio.run(publish_uploads(url, subject, backlog))
    context = multiprocessing.get_context("spawn")
    outs = [workdir / f"w{workers}-{i}.json" for i in range(workers)]
    ready = [context.Event() for _ in outs]
    go = context.Event()
    procs = [
        context.Process(
            target=worker_process,
            args=(url, stream, db, args.concurrency, str(out), flag, go),
        )
        for out, flag in zip(outs, ready, strict=True)
    ]
    offered = None
    paced_seconds = None
    for proc in procs:
        proc.start()
    try:
        for flag in ready:  # start-up (imports, detectors) is not part of the measure
            flag.wait(timeout=max(1.0, end - time.monotonic()))
        started_ns = time.time_ns()
        go.set()
        complete = wait_stored(db_file, args.items, end)
        drained_s = (time.time_ns() - started_ns) / 1e9  # to within the 50 ms poll
        if complete and args.paced:
            offered = args.load * args.items / drained_s
            paced = Pregenerated(Uploads(count=args.paced, prefix="paced-", seed=args.seed + 1))
            start = time.monotonic()
            asyncio.run(publish_uploads(url, subject, paced, rate=offered))
            paced_seconds = time.monotonic() - start
            complete = wait_stored(db_file, args.items + args.paced, end)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: the worker settles its batch and writes its rows
        for proc in procs:
            proc.join(timeout=60)
            if proc.is_alive():
                proc.kill()
        asyncio.run(delete_streams(url, stream))
    rows: list[list[Any]] = []
    counts: dict[str, int] = {}
    for out in outs:
        if out.exists():
            done = json.loads(out.read_text())
            rows += done["rows"]
            for key, value in done["counts"].items():
                counts[key] = counts.get(key, 0) + value
    backlog_times = [started_ns] + [r[2] for r in rows if str(r[0]).startswith("backlog-")]
    paced_rows = [r for r in rows if str(r[0]).startswith("paced-") and r[1]]
    latencies = [(r[2] - r[1]) / 1e6 for r in paced_rows]
    return {
        "complete": complete,
        "counts": counts,
        "backlog": {"items": len(backlog_times) - 1, "items_per_s": rate(backlog_times)},
        "paced": {
            "items": len(latencies),
            "offered_per_s": round(offered, 1) if offered else None,
            "achieved_per_s": rate([min(r[1] for r in paced_rows), *(r[2] for r in paced_rows)])
            if paced_rows
            else None,
            "publish_seconds": round(paced_seconds, 2) if paced_seconds else None,
            "p50_ms": ms(latencies, 50),
            "p99_ms": ms(latencies, 99),
            "max_ms": round(max(latencies), 2) if latencies else None,
        },
    }


async def delete_streams(url: str, stream: str) -> None:
    nc = await nats.connect(url, connect_timeout=5)
    try:
        js = nc.jetstream()
        for name in (stream, f"{stream}-dead"):
            try:
                await js.delete_stream(name)
            except nats.js.errors.NotFoundError:
                pass
    finally:
        await nc.close()


def in_process(items: int, concurrency: int, seed: int, workdir: Path) -> dict[str, Any]:
    """decide_record + store_decided on the same kind of uploads, batches of ``concurrency``."""
    services = build(load_settings(None, db_url=f"sqlite:///{workdir / 'inprocess.db'}"))
    records = [
        UploadRecord(None, generated_png(seed + 7, i, ai=is_ai(i, 0.25)), item_id=f"ip-{i}")
        for i in range(items + 2 * concurrency)
    ]
    warm_up, records = records[: 2 * concurrency], records[2 * concurrency :]
    try:
        store_decided(services, [decide_record(services, r) for r in warm_up])
        start = time.perf_counter()
        for i in range(0, items, concurrency):
            batch = [decide_record(services, r) for r in records[i : i + concurrency]]
            store_decided(services, batch)
        seconds = time.perf_counter() - start
    finally:
        services.store.close()
    return {"items": items, "items_per_s": round(items / seconds, 1)}


def server_version(url: str) -> str:
    async def ask() -> str:
        nc = await nats.connect(url, connect_timeout=5)
        try:
            return str(nc._server_info.get("version", "?"))
        finally:
            await nc.close()

    return asyncio.run(ask())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nats", default="nats://127.0.0.1:4222", help="A loopback NATS URL.")
    parser.add_argument("--items", type=int, default=2000, help="Backlog uploads per run.")
    parser.add_argument("--paced", type=int, default=1000, help="Paced uploads per run.")
    parser.add_argument("--load", type=float, default=0.5, help="Paced rate ÷ backlog rate.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=8, help="Messages per fetch.")
    parser.add_argument("--deadline", type=float, default=900.0, help="Overall seconds.")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    host = (args.nats.split("//", 1)[-1].split(":")[0]) or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        parser.error("--nats must be a loopback address")
    if args.items < 2 or args.paced < 0 or args.concurrency < 1 or not 0 < args.load <= 1:
        parser.error("--items >= 2, --paced >= 0, --concurrency >= 1, 0 < --load <= 1")
    end = time.monotonic() + args.deadline
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="deepscreen-stream-bench-") as tmp:
        workdir = Path(tmp)
        reference = in_process(args.items, args.concurrency, args.seed, workdir)
        for workers in args.workers:
            runs[str(workers)] = run_config(args.nats, workers, args, workdir, end)

    first = runs[str(args.workers[0])]["backlog"]["items_per_s"]
    ratios: dict[str, float | None] = {
        f"stream_{args.workers[0]}_worker_over_in_process": (
            round(first / reference["items_per_s"], 2) if first else None
        )
    }
    for workers in args.workers[1:]:
        other = runs[str(workers)]["backlog"]["items_per_s"]
        key = f"stream_{workers}_workers_over_{args.workers[0]}"
        ratios[key] = round(other / first, 2) if other and first else None
    result = {
        "benchmark": "stream",
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "nats_server": server_version(args.nats),
        "loopback_only": True,
        "image": "64x64 PNG inline (base64), seeded noise, a quarter with A1111 metadata",
        "store": "SQLite file (WAL), one per worker count",
        "concurrency": args.concurrency,
        "load": args.load,
        "latency": "publish (time.time_ns() before js.publish, in attributes.published_at_ns)"
        " → stored (time.time_ns() in the worker after store_decided committed)",
        "in_process": reference,
        "by_workers": runs,
        "ratios": ratios,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print(f"NATS JetStream {result['nats_server']} on loopback, concurrency {args.concurrency}")
    print(f"  in-process decide+store (no broker): {reference['items_per_s']} items/s")
    print(
        f"  {'workers':>7s} {'backlog items/s':>16s} {'paced offered/s':>16s} "
        f"{'achieved/s':>11s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s}"
    )
    for workers, run in runs.items():
        paced = run["paced"]
        print(
            f"  {workers:>7s} {run['backlog']['items_per_s']!s:>16s} "
            f"{paced['offered_per_s']!s:>16s} {paced['achieved_per_s']!s:>11s} "
            f"{paced['p50_ms']!s:>8s} {paced['p99_ms']!s:>8s} "
            f"{paced['max_ms']!s:>8s}" + ("" if run["complete"] else "  (cut by the deadline)")
        )
    for name, value in ratios.items():
        print(f"  ratio {name.replace('_', ' ')}: {value}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
