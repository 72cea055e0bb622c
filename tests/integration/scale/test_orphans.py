"""Local-engine workers exit when their parent is SIGKILLed (they used to live on, orphaned)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import os, sys, time
from deepscreen.scale.engines import LocalEngine
from deepscreen.settings import Settings

engine = LocalEngine(Settings(db_url="memory://"), workers=2)
busy = [engine._pool.submit(time.sleep, 0.5) for _ in range(4)]  # both workers start
for future in busy:
    future.result(timeout=300)
print(" ".join(map(str, sorted(engine._pool._processes))), flush=True)
time.sleep(600)
"""


def alive(pid: int) -> bool:
    """Running, as opposed to gone or a zombie nobody has reaped yet."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_workers_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env["DEEPSCREEN_MODELS_DIR"] = str(tmp_path)  # no models: the workers start fast
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path
    )
    workers: list[int] = []
    try:
        assert parent.stdout is not None
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        parent.stdout.close()
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 120  # a bound for a loaded machine, not a speed claim
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in workers), "workers outlived their parent"
    finally:
        parent.kill()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
