"""A per-item work budget: the detectors of one item get so many seconds, then it is abandoned
(``ProcessingTimeout``, nothing written) and the work goes on with the next item; the thread
cannot be stopped, only left behind (docs/reliability-limits.md; docs/internals/service.md)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from deepscreen.core.errors import ProcessingTimeout

T = TypeVar("T")


def within_budget(seconds: float | None, source: str, work: Callable[[], T]) -> T:
    """``work()``'s result, or ``ProcessingTimeout`` naming ``source`` after ``seconds``
    (``None``: no deadline). An exception ``work`` raises is raised here."""
    if seconds is None:
        return work()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the waiting caller, who re-raises it
            outcome["error"] = exc

    worker = threading.Thread(target=run, name=f"item-budget {source}"[:64], daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise ProcessingTimeout(
            source, f"not done within the {seconds:g} s per-item budget (media.item_budget_s)"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
