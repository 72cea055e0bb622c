"""Benchmark: the HTTP API's ``POST /v1/scan`` under load, on loopback, against in-process scans.

Starts ``deepscreen serve`` on 127.0.0.1 (a free port, a temporary SQLite database, an ``ingest``
key made with ``deepscreen keys create``) with 1 and then 2 worker processes, and sends
``--requests`` scans of small distinct PNGs (seeded noise, ``--side`` pixels: every request is a
new item, so nothing is answered from the store) from ``--concurrency`` client threads. Prints
p50/p99 latency and requests/s per worker count, the in-process ``scan_bytes`` time on the same
kind of images (the default detectors, a SQLite store) and the ratio API p50 ÷ in-process p50 —
what HTTP, multipart parsing, authentication and the response cost on top of the scan.

The default store is a SQLite file (WAL): with 2 worker processes their writes queue on
SQLite's one write lock. ``--postgres URL`` also runs every worker count on PostgreSQL, in a
fresh schema dropped afterwards.

Bounded: ``--requests`` per configuration and ``--deadline`` seconds overall (the run stops
and says so). Only loopback is used. Writes bench/results/api_load.json (``--output``).

    .venv/bin/python bench/api_load.py [--requests 200] [--concurrency 4] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

RESULTS = Path(__file__).parent / "results" / "api_load.json"
CLI = [str(Path(sys.executable).parent / "deepscreen")]  # the venv's entry point


def png_images(count: int, side: int, seed: int) -> list[bytes]:
    """``count`` distinct PNGs of seeded noise (distinct content: distinct item ids)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def create_key(db_url: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [*CLI, "keys", "create", "--role", "ingest", "--name", "api-load-bench", "--db", db_url],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    return done.stdout.strip().splitlines()[-1]


def wait_ready(base: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base}/status/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def load(
    base: str, token: str, images: list[bytes], concurrency: int, deadline: float
) -> dict[str, Any]:
    """Send every image once; latencies of the 200 responses in ms."""
    headers = {"Authorization": f"Bearer {token}"}
    local = threading.local()  # one keep-alive client per client thread
    clients: list[httpx.Client] = []

    def one(index: int) -> tuple[int, float]:
        if time.monotonic() > deadline:
            return -1, 0.0
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, headers=headers, timeout=60)
            clients.append(client)
        start = time.perf_counter()
        response = client.post(
            "/v1/scan", files={"media": (f"bench{index}.png", images[index], "image/png")}
        )
        return response.status_code, (time.perf_counter() - start) * 1000.0

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(len(images))))
    wall = time.perf_counter() - start
    for client in clients:
        client.close()
    ok = [ms for status, ms in results if status == 200]
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "requests": len(results),
        "ok": len(ok),
        "statuses": statuses,
        "seconds": round(wall, 3),
        "requests_per_s": round(len(ok) / wall, 2) if wall > 0 else None,
        "p50_ms": round(percentile(ok, 50), 2) if ok else None,
        "p99_ms": round(percentile(ok, 99), 2) if ok else None,
        "mean_ms": round(statistics.fmean(ok), 2) if ok else None,
        "first_ms": [round(ms, 1) for ms in ok[: 2 * concurrency]],  # key checks: argon2 + cache
        "slowest_ms": [round(ms, 1) for ms in sorted(ok)[-5:]],
        "cut_by_deadline": statuses.get("-1", 0),
    }


def serve(db_url: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--db", db_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def database(backend: str, workdir: Path, workers: int, postgres: str | None) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a new PostgreSQL schema (dropped afterwards)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / f'api-{workers}.db'}"
        return
    import sqlalchemy as sa

    assert postgres is not None
    name = f"bench_api_{uuid.uuid4().hex[:10]}"
    url = sa.make_url(postgres).set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}options=-csearch_path%3D{name}"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        engine.dispose()


def in_process(images: list[bytes], workdir: Path) -> dict[str, Any]:
    """Per-image time of ``scan_bytes`` with the default wiring on a SQLite file."""
    from deepscreen.bootstrap import build
    from deepscreen.service import scan_bytes
    from deepscreen.settings import load_settings

    settings = load_settings(None, db_url=f"sqlite:///{workdir / 'inprocess.db'}")
    services = build(settings)
    times = []
    try:
        for index, data in enumerate(images):
            start = time.perf_counter()
            scan_bytes(services, data, source=f"bench{index}.png")
            times.append((time.perf_counter() - start) * 1000.0)
    finally:
        services.store.close()
    return {
        "scans": len(times),
        "p50_ms": round(percentile(times, 50), 2),
        "p99_ms": round(percentile(times, 99), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Scans per configuration.")
    parser.add_argument("--concurrency", type=int, default=4, help="Client threads.")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Server processes.")
    parser.add_argument("--side", type=int, default=64, help="Image side in pixels.")
    parser.add_argument("--deadline", type=float, default=600.0, help="Overall seconds.")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--postgres", default=None, help="Also run on this PostgreSQL URL.")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be >= 1")
    deadline = time.monotonic() + args.deadline

    env = dict(os.environ)
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="deepscreen-api-load-") as tmp:
        workdir = Path(tmp)
        env["DEEPSCREEN_MODELS_DIR"] = str(workdir / "models")
        reference = in_process(png_images(args.requests, args.side, args.seed + 999), workdir)
        backends = ["sqlite"] + (["postgres"] if args.postgres else [])
        for backend in backends:
            for workers in args.workers:
                with database(backend, workdir, workers, args.postgres) as db_url:
                    token = create_key(db_url, env)
                    process, base = serve(db_url, workers, env)
                    try:
                        wait_ready(base, process, timeout=60)
                        images = png_images(args.requests, args.side, args.seed + workers)
                        run = load(base, token, images, args.concurrency, deadline)
                    finally:
                        stop(process)
                runs[f"{backend}/{workers}"] = run

    first = runs[f"sqlite/{args.workers[0]}"]
    ratio = (
        round(first["p50_ms"] / reference["p50_ms"], 2)
        if first.get("p50_ms") and reference["p50_ms"]
        else None
    )
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loopback_only": True,
        "image": f"{args.side}x{args.side} PNG, seeded noise, distinct per request",
        "concurrency": args.concurrency,
        "requests_per_configuration": args.requests,
        "in_process_scan": reference,
        "api_by_store_and_workers": runs,
        "ratio_api_p50_to_in_process_p50": ratio,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")

    print(f"in-process scan_bytes: p50 {reference['p50_ms']} ms, p99 {reference['p99_ms']} ms")
    for key, run in runs.items():
        backend, workers = key.split("/")
        print(
            f"API on {backend}, {workers} worker(s), {args.concurrency} clients: "
            f"{run['ok']}/{run['requests']}"
            f" ok, p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, {run['requests_per_s']} req/s"
            + (f" ({run['cut_by_deadline']} cut by the deadline)" if run["cut_by_deadline"] else "")
        )
    print(f"ratio API p50 / in-process p50 (SQLite, {args.workers[0]} worker): {ratio}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
