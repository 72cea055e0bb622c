"""Child processes that end with their parent.

A ``spawn`` pool worker waits for work on a pipe whose other end it holds itself, so it never
sees end-of-file when the parent is SIGKILLed: it would wait forever, holding its memory (three
backfill workers of about 260 MB each were found alive an hour after their parent died).
``exit_with_parent`` starts a daemon thread that blocks on the parent's process sentinel —
``multiprocessing`` exposes one for every process it starts — and ends the worker the moment
the parent is gone. No polling, no platform-specific ``prctl``.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import wait

EXIT_CODE = 70  # EX_SOFTWARE: the worker did not finish its work


def exit_with_parent() -> bool:
    """In a process started by ``multiprocessing``: exit (``os._exit``) when the parent dies.

    Returns False, doing nothing, in a process ``multiprocessing`` did not start."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return False
    sentinel = parent.sentinel
    threading.Thread(
        target=_exit_when_ready, args=(sentinel,), name="exit-with-parent", daemon=True
    ).start()
    return True


def _exit_when_ready(sentinel: int) -> None:
    wait([sentinel])
    os._exit(EXIT_CODE)  # no cleanup: the parent that would collect the results is gone
