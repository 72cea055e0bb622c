"""Batch engines, where ``records.decide_record`` runs: one interface, three engines (``serial``,
``local`` process pool, ``ray`` actors) returning the same ``Decided`` values, which only the
driver writes. How each runs its workers: docs/internals/scale.md."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from enum import StrEnum
from importlib.metadata import entry_points
from itertools import islice
from multiprocessing import get_all_start_methods, get_context
from typing import Any, Protocol

from deepscreen.bootstrap import build_worker, memory_banks
from deepscreen.core.banks import Bank, BankEntry
from deepscreen.core.errors import BackendError, ConfigError
from deepscreen.scale.orphans import exit_with_parent
from deepscreen.scale.records import Decided, UploadRecord, decide_record
from deepscreen.scale.tuning import tune_worker_process
from deepscreen.service.scan import Services
from deepscreen.service.stores import BankStore
from deepscreen.settings import Settings

Batch = Sequence[UploadRecord]
MIN_RAY_BATCH = 16
IN_FLIGHT_PER_WORKER = 2
"""Batches submitted per worker: one deciding, one queued behind it, so a worker never waits
for the driver (writing, reading the manifest) and memory stays bounded."""


class WorkerStartFailed(BackendError):
    """An engine's worker could not start (its services failed to build, or its process died
    while starting): nothing was decided by it, nothing it held is stored."""

    code = "worker_start_failed"


class WorkerCrashed(BackendError):
    """A worker process died mid-run: the batches in flight are lost (never half-stored); the
    run stops, and a resumed run decides them again."""

    code = "worker_crashed"


class EngineKind(StrEnum):
    SERIAL = "serial"
    LOCAL = "local"
    RAY = "ray"


class Engine(Protocol):
    """Runs ``decide_record`` over batches; yields each batch's results when it is done (in
    completion order, not input order). ``close`` releases the workers."""

    name: str
    workers: int

    def run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]: ...

    def close(self) -> None: ...


def worker_services(settings: Settings, *, banks: BankStore | None = None) -> Services:
    """The services a worker decides with: everything from ``settings``, but an in-memory
    event store (workers never write decisions), and ``banks`` when given (the driver's
    ``BankSnapshot``) instead of the bank store the settings name."""
    return build_worker(settings, banks=banks)


def decide_batch(services: Services, batch: Batch) -> list[Decided]:
    return [decide_record(services, record) for record in batch]


def batched(records: Iterable[UploadRecord], size: int) -> Iterator[list[UploadRecord]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --------------------------------------------------------------------------- serial


@dataclass
class SerialEngine:
    services: Services
    name: str = "serial"
    workers: int = 1

    def run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]:
        for batch in batches:
            yield decide_batch(self.services, batch)

    def close(self) -> None:
        return None


# --------------------------------------------------------------------------- local processes

START_METHODS = ("fork", "forkserver", "spawn")
"""``multiprocessing`` start methods the local engine accepts (``LocalEngine``'s docstring)."""


def start_method_for(requested: str | None) -> str:
    """``requested``, checked; else ``fork`` from a driver with no other thread (forking a
    process whose threads may hold locks can deadlock the child), else ``forkserver``."""
    available = get_all_start_methods()
    if requested is not None:
        if requested not in START_METHODS or requested not in available:
            choices = ", ".join(m for m in START_METHODS if m in available)
            raise ConfigError(f"start method {requested!r} is not one of {choices}")
        return requested
    if "fork" in available and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in available else "spawn"


@dataclass(frozen=True)
class BankSnapshot:
    """The driver's hash banks, handed to every worker at start: workers match against the
    same entries as the driver, in the same order, without opening the database (no SQL
    driver imported, no connection per worker)."""

    banks: tuple[Bank, ...]
    entries: tuple[BankEntry, ...]
    """Every entry of every bank, in the store's order (``entries_since``)."""

    @classmethod
    def of(cls, store: BankStore) -> BankSnapshot:
        banks = tuple(bank for bank, _count in store.list_banks())
        return cls(banks, tuple(entry for _seq, entry in store.entries_since(None)))

    def to_store(self) -> BankStore:
        return memory_banks(self.banks, self.entries)


@dataclass(frozen=True)
class WorkerSeed:
    """What a worker builds its services from: the driver's settings, and its banks when the
    driver has them (else the worker opens the bank store named by the settings)."""

    settings: Settings
    banks: BankSnapshot | None = None


def preloaded_modules(settings: Settings) -> list[str]:
    """What the fork server imports once for every worker: this module (the build and decide
    path), fsspec (the first fetch), and the modules of the enabled detectors (model runtimes
    such as onnxruntime stay out: a detector imports them in ``load``, in each worker)."""
    enabled = set(settings.detectors)
    group = entry_points(group="deepscreen.signals")
    return [__name__, "fsspec", *(ep.module for ep in group if ep.name in enabled)]


_SERVICES: Services | None = None
_START_ERROR: str | None = None


def _init_worker(seed: WorkerSeed) -> None:
    """Process-pool initializer: end with the parent, one thread per library, detectors
    loaded once. A failure is kept and reported by the worker's first task (a typed
    ``WorkerStartFailed``), not raised here, where the pool would only say a process died."""
    exit_with_parent()
    tune_worker_process()
    global _SERVICES, _START_ERROR
    banks = seed.banks.to_store() if seed.banks is not None else None
    try:
        _SERVICES = worker_services(seed.settings, banks=banks)
    except Exception as exc:  # any failure to start: reported, typed, by the first task
        _START_ERROR = f"{type(exc).__name__}: {exc}"


def _started_services() -> Services:
    if _SERVICES is None:
        raise WorkerStartFailed(f"a worker could not start: {_START_ERROR or 'not initialised'}")
    return _SERVICES


def _worker_ready() -> int:
    """The start-up probe: the worker's pid once its services are built."""
    _started_services()
    return os.getpid()


def _run_in_worker(batch: Batch) -> list[Decided]:
    return decide_batch(_started_services(), batch)


class LocalEngine:
    """A process pool of ``workers`` processes, started when the engine is made, each
    building its services once; ≤ ``IN_FLIGHT_PER_WORKER`` batches in flight per worker.

    The workers start while the driver goes on: it reads the manifest and submits the first
    batches, which wait in the pool's queue until a worker is ready; whichever worker is ready
    first takes them. When batches come back, the freed slots are refilled before the driver
    writes them, so the workers decide while the driver writes.

    ``start_method`` (``start_method_for``): by default ``fork`` when the driver runs no other
    thread — a worker then starts with every module the driver imported, and builds only its
    services; otherwise ``forkserver``, which imports deepscreen once in a clean server process
    and forks the workers from it. ``spawn`` starts each worker as a fresh interpreter that
    imports everything itself (docs/performance.md, "Local engine start-up").
    """

    name = "local"

    def __init__(
        self,
        settings: Settings,
        workers: int,
        *,
        banks: BankSnapshot | None = None,
        start_method: str | None = None,
    ) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self.start_method = start_method_for(start_method)
        context = get_context(self.start_method)
        if self.start_method == "forkserver":
            context.set_forkserver_preload(preloaded_modules(settings))
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(WorkerSeed(settings, banks),),
        )
        # One probe per worker starts every process now (the pool starts one per task that
        # finds no idle worker), not when the first batches are read.
        self._starting: set[Future[int]] = {
            self._pool.submit(_worker_ready) for _ in range(workers)
        }
        self._started = False

    def run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]:
        try:
            yield from self._run(batches)
        except BrokenProcessPool as exc:
            if self._started:
                raise WorkerCrashed(
                    f"a local-engine worker died mid-run ({exc}); the batches it held were not "
                    "stored: run the backfill again to decide them"
                ) from None
            raise WorkerStartFailed(f"a worker died while starting: {exc}") from None

    def _run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]:
        in_flight = IN_FLIGHT_PER_WORKER * self.workers
        pending: set[Future[list[Decided]]] = set()
        source = iter(batches)
        exhausted = False

        def refill() -> None:
            nonlocal exhausted
            while not exhausted and len(pending) < in_flight:
                batch = next(source, None)
                if batch is None:
                    exhausted = True
                else:
                    pending.add(self._pool.submit(_run_in_worker, batch))

        refill()
        while pending:
            waiting: set[Future[Any]] = {*pending, *self._starting}
            done, _ = wait(waiting, return_when=FIRST_COMPLETED)
            for probe in done & self._starting:
                self._starting.discard(probe)
                probe.result()  # WorkerStartFailed from a worker that could not start
                self._started = True
            finished = [future for future in done if future in pending]
            pending.difference_update(finished)
            refill()  # before the driver writes what came back: the workers stay busy
            for future in finished:
                decided = future.result()
                self._started = True
                yield decided

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- ray


class RayEngine:
    """``workers`` Ray actors, each with its detectors loaded; batches of ≥ ``MIN_RAY_BATCH``
    records are the unit of work, ≤ 2 in flight per actor."""

    name = "ray"

    def __init__(self, settings: Settings, workers: int, *, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - ray is in the [ray] extra
            raise ConfigError("the ray engine needs Ray: pip install 'deepscreen[ray]'") from exc
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self._ray = ray
        self._owns = not ray.is_initialized()
        if self._owns:
            options: dict[str, Any] = {
                "include_dashboard": False,
                "log_to_driver": False,
                "configure_logging": False,
            }
            if address:
                options["address"] = address
            else:
                options["num_cpus"] = workers
            ray.init(**options)
        actor: Any = ray.remote(num_cpus=1)(_RayWorker)
        self._actors: list[Any] = [actor.remote(settings) for _ in range(workers)]
        self.workers = workers

    def run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]:
        ray = self._ray
        idle = list(self._actors) * 2  # two slots per actor
        pending: dict[Any, Any] = {}
        source = iter(batches)
        exhausted = False
        while True:
            while not exhausted and idle:
                batch = next(source, None)
                if batch is None:
                    exhausted = True
                    break
                actor = idle.pop()
                pending[actor.run.remote(list(batch))] = actor
            if not pending:
                return
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                idle.append(pending.pop(ref))
                yield ray.get(ref)

    def close(self) -> None:
        for actor in self._actors:
            self._ray.kill(actor)
        self._actors = []
        if self._owns:
            self._ray.shutdown()


class _RayWorker:
    """A Ray actor holding one worker's services."""

    def __init__(self, settings: Settings) -> None:
        tune_worker_process()
        self._services = worker_services(settings)

    def run(self, batch: list[UploadRecord]) -> list[Decided]:
        return decide_batch(self._services, batch)


def make_engine(
    kind: EngineKind,
    settings: Settings,
    *,
    workers: int,
    services: Services | None = None,
    ray_address: str | None = None,
) -> Engine:
    if kind is EngineKind.SERIAL:
        tune_worker_process()  # this process is the one worker
        return SerialEngine(services if services is not None else worker_services(settings))
    if kind is EngineKind.LOCAL:
        banks = BankSnapshot.of(services.banks) if services and services.banks else None
        return LocalEngine(settings, workers, banks=banks)
    return RayEngine(settings, workers, address=ray_address)
