"""Benchmark: the HTTP API's ``POST /v1/scan`` on loopback, against the same scans in process.

Starts ``deepscreen serve`` on 127.0.0.1 (a free port, a temporary SQLite database, an ``ingest``
key made with ``deepscreen keys create``) with 1 and then 2 worker processes, and sends small
distinct PNGs (seeded noise, ``--side`` pixels: every request is a new item, so nothing is
answered from the store). What is compared, so that the ratios are honest:

- **1 client against 1 thread in process.** ``--requests`` scans one after another over HTTP,
  against ``scan_bytes`` one after another in this process (the same settings and detectors,
  a SQLite file). The ratio API p50 ÷ in-process p50 is what HTTP, multipart parsing,
  authentication, the audit row, the explanation and the JSON response cost on top of a scan.
- **``--concurrency`` clients against as many threads in process.** Each side then queues:
  one server process runs one request at a time under the GIL, and in-process threads share
  that lock the same way, so the API p50 at 4 clients is compared with the in-process p50 at
  4 threads, never with one scan alone (on 2 cores, clients and server also share the CPUs).
- **Interleaved, so that both sides see the same machine.** The API requests and the
  in-process scans alternate — one and one at 1 client, blocks of ``5 × concurrency`` at
  ``--concurrency`` — so another job on the machine slows both alike and the ratios hold.
- **Steady state, and the first request apart.** Each client's first request is sent (all
  clients at once) before the measured runs and reported on its own as ``cold_ms``: it pays
  the argon2 check of the key (by design tens to hundreds of ms; run once per key per server
  process per ``auth_cache_ttl_s``, shared by requests arriving meanwhile). p50/p99 are over
  the requests after it — the latency of a server that has seen its key. (With several
  worker processes, a process that happened to accept none of the first connections verifies
  the key on its first measured request: a p99 outlier there is that.)

The client pre-encodes each multipart body and sends it with ``http.client`` over one
keep-alive connection per client thread, so a latency is the server's plus loopback, not the
client library's encoding. ``server_cpu_ms`` is the CPU time of the server's processes per
request (from /proc), ``cpu_ms`` of the in-process scans per scan: these depend far less than
latencies on what else runs on the machine.

The default store is a SQLite file (WAL): with 2 worker processes their writes queue on
SQLite's one write lock. ``--postgres URL`` also runs every worker count on PostgreSQL, in a
fresh schema dropped afterwards.

Bounded: ``--requests`` per measured run and ``--deadline`` seconds overall (the run stops
and says so). Only loopback is used. Writes bench/results/api_load.json (``--output``).

    .venv/bin/python bench/api_load.py [--requests 200] [--concurrency 4] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import http.client
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
Body = tuple[bytes, str]  # a multipart body and its Content-Type


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


def multipart(data: bytes, filename: str) -> Body:
    """The ``media`` form field as a multipart/form-data body, encoded once before timing."""
    boundary = uuid.uuid4().hex
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="media"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head + data + tail, f"multipart/form-data; boundary={boundary}"


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


def tree_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of ``pid`` and its descendants, from /proc; None off Linux."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid: (parent pid, cpu seconds)
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            text = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks)
    if pid not in stats:
        return None
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats[current][1]
        todo.extend(p for p, (parent, _) in stats.items() if parent == current)
    return total


class Clients:
    """``concurrency`` client threads, each with its own keep-alive connection to the server."""

    def __init__(self, port: int, token: str, concurrency: int, deadline: float) -> None:
        self.port, self.token, self.deadline = port, token, deadline
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client")
        self.local = threading.local()
        self.connections: list[http.client.HTTPConnection] = []

    def post(self, body: Body) -> tuple[int, float]:
        """(status, ms) of one ``POST /v1/scan``; (-1, 0) once past the deadline."""
        if time.monotonic() > self.deadline:
            return -1, 0.0
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connections.append(conn)
        content, content_type = body
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": content_type}
        start = time.perf_counter()
        conn.request("POST", "/v1/scan", body=content, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, (time.perf_counter() - start) * 1000.0

    def run(self, bodies: list[Body], concurrency: int) -> tuple[list[tuple[int, float]], float]:
        """Send every body from ``concurrency`` of the threads; results and wall seconds."""
        start = time.perf_counter()
        if concurrency == 1:
            results = [self.post(b) for b in bodies]
        else:
            results = list(self.pool.map(self.post, bodies))
        return results, time.perf_counter() - start

    def close(self) -> None:
        self.pool.shutdown()
        for conn in self.connections:
            conn.close()


def summary(
    results: list[tuple[int, float]], seconds: float, cpu_s: float | None
) -> dict[str, Any]:
    ok = [ms for status, ms in results if status == 200]
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "requests": len(results),
        "ok": len(ok),
        "statuses": statuses,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(ok) / seconds, 2) if seconds > 0 else None,
        "p50_ms": round(percentile(ok, 50), 2) if ok else None,
        "p99_ms": round(percentile(ok, 99), 2) if ok else None,
        "mean_ms": round(statistics.fmean(ok), 2) if ok else None,
        "slowest_ms": [round(ms, 1) for ms in sorted(ok)[-5:]],
        "server_cpu_ms": round(cpu_s / len(ok) * 1000, 2) if cpu_s is not None and ok else None,
        "cut_by_deadline": statuses.get("-1", 0),
    }


class InProcess:
    """``scan_bytes`` with the server's wiring (the same settings and detectors) on a SQLite
    file of its own, from 1 or ``threads`` threads sharing the services, as a server's do."""

    def __init__(self, workdir: Path) -> None:
        from deepscreen.bootstrap import build
        from deepscreen.service import scan_bytes
        from deepscreen.settings import load_settings

        settings = load_settings(None, db_url=f"sqlite:///{workdir / 'inprocess.db'}")
        self.services = build(settings)
        self.scan_bytes = scan_bytes
        self.times: list[float] = []
        self.cpu_s = self.seconds = 0.0

    def scan(self, data: bytes) -> float:
        start = time.perf_counter()
        self.scan_bytes(self.services, data, source="bench.png")
        return (time.perf_counter() - start) * 1000.0

    def run(self, images: list[bytes], threads: int) -> None:
        """Scan ``images``, adding to the times, the CPU and the wall time of this phase."""
        cpu, start = time.process_time(), time.perf_counter()
        if threads == 1:
            self.times += [self.scan(d) for d in images]
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                self.times += list(pool.map(self.scan, images))
        self.seconds += time.perf_counter() - start
        self.cpu_s += time.process_time() - cpu

    def summary(self) -> dict[str, Any]:
        times, self.times = self.times, []
        cpu_s, seconds, self.cpu_s, self.seconds = self.cpu_s, self.seconds, 0.0, 0.0
        return {
            "scans": len(times),
            "p50_ms": round(percentile(times, 50), 2),
            "p99_ms": round(percentile(times, 99), 2),
            "scans_per_s": round(len(times) / seconds, 2),
            "cpu_ms": round(cpu_s / len(times) * 1000, 2),
        }

    def close(self) -> None:
        self.services.store.close()


def load(
    port: int,
    pid: int,
    token: str,
    bodies: list[Body],
    reference: InProcess,
    images: list[bytes],
    concurrency: int,
    deadline: float,
) -> dict[str, Any]:
    """The cold first request of every client; then, at 1 and at ``concurrency`` clients, the
    API requests interleaved with as many in-process scans. Every run opens its own
    connections (the server closes a keep-alive connection left idle for 5 s)."""
    cold_clients = Clients(port, token, concurrency, deadline)
    try:
        cold, _ = cold_clients.run(bodies[:concurrency], concurrency)  # all at once
    finally:
        cold_clients.close()
    reference.scan(images[0])  # its first scan opens the file and compiles the statements
    bodies, images = bodies[concurrency:], images[1:]
    runs: dict[str, Any] = {"cold_ms": [round(ms, 1) for status, ms in cold if status == 200]}
    runs["cold_statuses"] = sorted({status for status, _ in cold})
    half = len(bodies) // 2
    for name, clients, block, parts, scans in (
        ("serial", 1, 1, bodies[:half], images[:half]),
        ("concurrent", concurrency, 5 * concurrency, bodies[half:], images[half:]),
    ):
        pool = Clients(port, token, clients, deadline)
        results: list[tuple[int, float]] = []
        seconds = 0.0
        before = tree_cpu_s(pid)  # the server is idle while the in-process blocks run
        try:
            for at in range(0, len(parts), block):
                reference.run(scans[at : at + block], clients)
                done, took = pool.run(parts[at : at + block], clients)
                results += done
                seconds += took
        finally:
            pool.close()
        after = tree_cpu_s(pid)
        cpu = after - before if before is not None and after is not None else None
        runs[name] = {**summary(results, seconds, cpu), "in_process": reference.summary()}
    return runs


def serve(db_url: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)]
        + ["--workers", str(workers), "--db", db_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return process, port


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


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="Scans per measured run.")
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
    n, c = args.requests, args.concurrency

    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="deepscreen-api-load-") as tmp:
        workdir = Path(tmp)
        # The server and the in-process reference enable the same detectors: no models.
        os.environ["DEEPSCREEN_MODELS_DIR"] = str(workdir / "models")
        env = dict(os.environ)
        reference = InProcess(workdir)
        try:
            backends = ["sqlite"] + (["postgres"] if args.postgres else [])
            for number, (backend, workers) in enumerate(
                (b, w) for b in backends for w in args.workers
            ):
                seed = args.seed + 10 * number  # distinct items in every run, on both sides
                images = png_images(c + 2 * n, args.side, seed)
                bodies = [multipart(d, f"bench{i}.png") for i, d in enumerate(images)]
                scans = png_images(1 + 2 * n, args.side, seed + 5)
                with database(backend, workdir, workers, args.postgres) as db_url:
                    token = create_key(db_url, env)
                    process, port = serve(db_url, workers, env)
                    try:
                        wait_ready(f"http://127.0.0.1:{port}", process, timeout=60)
                        run = load(port, process.pid, token, bodies, reference, scans, c, deadline)
                    finally:
                        stop(process)
                runs[f"{backend}/{workers}"] = run
        finally:
            reference.close()

    first = runs[f"sqlite/{args.workers[0]}"]
    serial, concurrent = first["serial"], first["concurrent"]
    ratios = {
        "api_p50_to_in_process_p50_1_client": ratio(
            serial["p50_ms"], serial["in_process"]["p50_ms"]
        ),
        f"api_p50_to_in_process_p50_{c}_clients": ratio(
            concurrent["p50_ms"], concurrent["in_process"]["p50_ms"]
        ),
        f"api_p99_to_api_p50_{c}_clients": ratio(concurrent["p99_ms"], concurrent["p50_ms"]),
        "server_cpu_to_in_process_cpu_1_client": ratio(
            serial["server_cpu_ms"], serial["in_process"]["cpu_ms"]
        ),
    }
    result = {
        "machine": platform.machine(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "loopback_only": True,
        "client": "http.client, pre-encoded multipart bodies, one keep-alive connection a thread",
        "image": f"{args.side}x{args.side} PNG, seeded noise, distinct per request",
        "concurrency": c,
        "requests_per_run": n,
        "api_by_store_and_workers": runs,
        "ratios_sqlite_first_worker_count": ratios,
        "goals": {
            "api_p50_to_in_process_p50": 1.3,
            f"api_p99_to_api_p50_{c}_clients": 5.0,
        },
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n")
    report(result, args.workers[0])
    print(f"wrote {args.output}")
    return 0


def line(run: dict[str, Any]) -> str:
    rate = run.get("requests_per_s", run.get("scans_per_s"))
    cpu = run.get("server_cpu_ms", run.get("cpu_ms"))
    return f"p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms, {rate}/s, CPU {cpu} ms each"


def report(result: dict[str, Any], first_workers: int) -> None:
    c = result["concurrency"]
    for key, run in result["api_by_store_and_workers"].items():
        backend, workers = key.split("/")
        print(
            f"API on {backend}, {workers} worker(s): first request of each of {c} clients "
            f"(argon2 key check, then cached): {run['cold_ms']} ms"
        )
        for name, clients in (("serial", 1), ("concurrent", c)):
            r = run[name]
            cut = f" ({r['cut_by_deadline']} cut by the deadline)" if r["cut_by_deadline"] else ""
            print(
                f"API on {backend}, {workers} worker(s), {clients} client(s): "
                f"{r['ok']}/{r['requests']} ok, {line(r)}{cut}"
            )
            inline = line(r["in_process"])
            print(f"  in-process scan_bytes, {clients} thread(s), interleaved: {inline}")
    for name, value in result["ratios_sqlite_first_worker_count"].items():
        print(f"ratio {name} (SQLite, {first_workers} worker): {value}")


if __name__ == "__main__":
    sys.exit(main())
