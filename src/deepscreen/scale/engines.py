"""Batch engines: where ``records.decide_record`` runs. One interface, three engines.

- ``serial``: in the calling process (the reference, and the benchmark's baseline).
- ``local``: a process pool (``spawn``), each worker building its detectors once at start
  (and tuned as one core: ``tuning.tune_worker_process``),
  fed chunked batches with at most two batches in flight per worker (backpressure: a manifest
  of millions is never read ahead of the workers).
- ``ray``: Ray actors that keep their detectors loaded, fed batches (≥ 16 items amortise Ray's
  ~0.6 ms per task, docs/performance.md, 'Library reference measurements'), on a local Ray instance
  or the cluster at ``address``.

Every engine runs the same pure step on the same records and returns ``Decided`` values; only
the driver writes (``writer.store_decided``), so the decisions do not depend on the engine.
Workers build their ``Services`` from the same ``Settings`` with an in-memory event store: they
read the policy, detectors, model files and hash banks, and never write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice
from multiprocessing import get_context
from typing import Any, Protocol

from deepscreen.bootstrap import build
from deepscreen.core.errors import ConfigError
from deepscreen.scale.orphans import exit_with_parent
from deepscreen.scale.records import Decided, UploadRecord, decide_record
from deepscreen.scale.tuning import tune_worker_process
from deepscreen.service.scan import Services
from deepscreen.settings import Settings
from deepscreen.store.memory import InMemoryEventStore

Batch = Sequence[UploadRecord]
MIN_RAY_BATCH = 16


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


def worker_services(settings: Settings) -> Services:
    """The services a worker decides with: everything from ``settings``, but an in-memory
    event store (workers never write decisions)."""
    return build(settings, store=InMemoryEventStore())


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

_SERVICES: Services | None = None


def _init_worker(settings: Settings) -> None:
    """Process-pool initializer: end with the parent, one thread per library, detectors
    loaded once."""
    exit_with_parent()
    tune_worker_process()
    global _SERVICES
    _SERVICES = worker_services(settings)


def _run_in_worker(batch: Batch) -> list[Decided]:
    assert _SERVICES is not None, "worker not initialised"
    return decide_batch(_SERVICES, batch)


class LocalEngine:
    """A ``spawn`` process pool with ``workers`` processes and ≤ 2 batches in flight each."""

    name = "local"

    def __init__(self, settings: Settings, workers: int) -> None:
        if workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {workers}")
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_init_worker,
            initargs=(settings,),
        )

    def run(self, batches: Iterable[Batch]) -> Iterator[list[Decided]]:
        return _bounded(batches, self._pool.submit, 2 * self.workers)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _bounded(
    batches: Iterable[Batch],
    submit: Callable[[Callable[[Batch], list[Decided]], Batch], Future[list[Decided]]],
    in_flight: int,
) -> Iterator[list[Decided]]:
    pending: set[Future[list[Decided]]] = set()
    source = iter(batches)
    exhausted = False
    while True:
        while not exhausted and len(pending) < in_flight:
            batch = next(source, None)
            if batch is None:
                exhausted = True
            else:
                pending.add(submit(_run_in_worker, batch))
        if not pending:
            return
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            yield future.result()


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
        return LocalEngine(settings, workers)
    return RayEngine(settings, workers, address=ray_address)
