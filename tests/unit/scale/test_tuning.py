"""Worker tuning: one thread per library and raised glibc malloc thresholds (in a child
process, so the test process keeps its own settings)."""

from __future__ import annotations

import subprocess
import sys

CHILD = """
from threadpoolctl import threadpool_info
from deepscreen.scale.tuning import tune_worker_process
applied = tune_worker_process()
threads = {pool["num_threads"] for pool in threadpool_info()}
print(applied, sorted(threads))
"""


def test_a_tuned_worker_runs_one_thread_per_library_and_sets_malloc_thresholds() -> None:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    applied, threads = out.stdout.strip().split(" ", 1)
    if sys.platform.startswith("linux"):
        assert applied == "True"
    assert threads in ("[1]", "[]")
