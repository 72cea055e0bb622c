"""Independent numpy/Arrow steps of the metric table on two threads (both release the GIL on
large arrays) when the process may use more than one CPU; in order on one thread otherwise.
Results never depend on it: each task is a pure function of its inputs."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

__all__ = ["MIN_ROWS", "run_all"]

MIN_ROWS = 200_000
"""Below this many rows a thread costs more than it saves."""


def _cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def run_all(tasks: list[Callable[[], Any]], *, rows: int) -> list[Any]:
    """Each task's result, in order (the first exception raised, if any)."""
    if len(tasks) < 2 or rows < MIN_ROWS or _cpus() < 2:
        return [task() for task in tasks]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(task) for task in tasks]
        return [future.result() for future in futures]
