"""Child processes that end with their parent: ``exit_with_parent`` blocks a daemon thread on the
parent's process sentinel and ends the worker the moment the parent is gone (why a ``spawn``
worker needs it: docs/internals/scale.md)."""

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
