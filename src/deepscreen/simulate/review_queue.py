"""Human review as a discrete-time queue: hourly reviewer capacity, FIFO or priority service,
backlog and completion times (``simulate_queue``; a span at a time with ``ReviewQueue``).
The exact rules: docs/internals/simulate.md."""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

FLOOR_TOLERANCE = 1e-9
HOURS_PER_DAY = 24


@dataclass(frozen=True)
class QueueResult:
    """Outcome of ``simulate_queue`` (arrays are read-only).

    ``completed_at`` and ``waiting_hours`` are aligned with the input items (``inf`` if not
    served by the horizon); ``backlog`` (items waiting at the end of each hour) and ``served``
    (items completed in each hour) have one entry per simulated hour.
    """

    completed_at: np.ndarray
    backlog: np.ndarray
    served: np.ndarray
    waiting_hours: np.ndarray

    def __post_init__(self) -> None:
        for array in (self.completed_at, self.backlog, self.served, self.waiting_hours):
            array.flags.writeable = False


def capacity_per_hour(
    *,
    hours: int,
    reviewers: int,
    items_per_reviewer_hour: float,
    staffed_hours: Sequence[int],
) -> np.ndarray:
    """Review capacity (items) for each simulation hour ``0..hours−1``.

    ``reviewers × items_per_reviewer_hour`` in hours whose hour-of-day ``h % 24`` is in
    ``staffed_hours`` (hours of day ``0..23``), ``0`` otherwise.
    """
    if hours < 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    if reviewers < 0:
        raise ValueError(f"reviewers must be >= 0, got {reviewers}")
    if not math.isfinite(items_per_reviewer_hour) or items_per_reviewer_hour < 0:
        raise ValueError(
            f"items_per_reviewer_hour must be finite and >= 0, got {items_per_reviewer_hour}"
        )
    staffed = np.asarray(list(staffed_hours), dtype=np.int64)
    if staffed.size and (staffed.min() < 0 or staffed.max() >= HOURS_PER_DAY):
        raise ValueError(f"staffed_hours must be hours of day 0..23, got {list(staffed_hours)}")
    on_shift = np.isin(np.arange(hours) % HOURS_PER_DAY, staffed)
    return np.where(on_shift, float(reviewers) * float(items_per_reviewer_hour), 0.0)


def simulate_queue(
    arrival_hours: np.ndarray,
    capacity: np.ndarray,
    *,
    priority: np.ndarray | None = None,
    horizon_hours: int | None = None,
) -> QueueResult:
    """Serve review items arriving at ``arrival_hours`` with hourly ``capacity``.

    ``arrival_hours``: hours since the simulation start (finite, ``>= 0``, any order).
    ``capacity``: items per simulation hour (finite, ``>= 0``). ``priority``: one value per
    item, higher served first (``None`` = FIFO). ``horizon_hours``: hours to simulate
    (default and maximum ``len(capacity)``). The exact rules: docs/internals/simulate.md.
    """
    arrivals = np.asarray(arrival_hours, dtype=np.float64)
    caps = np.asarray(capacity, dtype=np.float64)
    if arrivals.ndim != 1:
        raise ValueError("arrival_hours must be one-dimensional")
    if caps.ndim != 1:
        raise ValueError("capacity must be one-dimensional")
    if not np.all(np.isfinite(arrivals)) or np.any(arrivals < 0):
        raise ValueError("arrival_hours must be finite and >= 0")
    if not np.all(np.isfinite(caps)) or np.any(caps < 0):
        raise ValueError("capacity must be finite and >= 0")
    horizon = caps.size if horizon_hours is None else int(horizon_hours)
    if not 0 <= horizon <= caps.size:
        raise ValueError(
            f"horizon_hours must be in 0..{caps.size} (the hours capacity covers), "
            f"got {horizon_hours}"
        )
    prio: np.ndarray | None = None
    if priority is not None:
        prio = np.asarray(priority, dtype=np.float64)
        if prio.shape != arrivals.shape:
            raise ValueError("priority must have one value per arrival")
        if np.any(np.isnan(prio)):
            raise ValueError("priority must not be NaN")
    completed, backlog, served, _ = _serve(arrivals, caps[:horizon], prio, carry=0.0)
    return QueueResult(
        completed_at=completed,
        backlog=backlog,
        served=served,
        waiting_hours=completed - arrivals,
    )


def _serve(
    arrivals: np.ndarray, caps: np.ndarray, prio: np.ndarray | None, *, carry: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """(completed_at, backlog, served, carry after the last hour) over ``caps.size`` hours."""
    horizon = caps.size
    arrival_hour = np.floor(arrivals).astype(np.int64)
    arrived = arrival_hour < horizon
    arrivals_per_hour = np.bincount(arrival_hour[arrived], minlength=horizon)[:horizon]
    served, backlog, carry = _hourly_counts(arrivals_per_hour, caps, carry)

    if prio is None:
        service_order = _fifo_order(arrivals, int(served.sum()))
    else:
        ranks = _service_ranks(arrivals, prio)
        service_order = _priority_order(ranks, arrival_hour, arrived, served)
    service_hour = np.repeat(np.arange(horizon, dtype=np.int64), served)

    completed = np.full(arrivals.size, np.inf)
    completed[service_order] = _completion_times(arrivals[service_order], service_hour, served)
    return completed, backlog, served, carry


class ReviewQueue:
    """``simulate_queue`` a span of hours at a time (e.g. a day), keeping only the items still
    waiting: the same service, backlog and completion times (up to floating-point rounding of
    the time shift) as one call over the whole horizon with the items in the order added.

    ``advance(arrivals, until_hour, priority)`` adds items arriving at or after the current
    hour and serves the hours up to ``until_hour``; it returns the positions (in the order
    added over all calls) and completion times of the items served in those hours.
    """

    def __init__(
        self, capacity: np.ndarray, *, prioritised: bool, horizon_hours: int | None = None
    ) -> None:
        caps = np.asarray(capacity, dtype=np.float64)
        if caps.ndim != 1 or not np.all(np.isfinite(caps)) or np.any(caps < 0):
            raise ValueError("capacity must be one-dimensional, finite and >= 0")
        horizon = caps.size if horizon_hours is None else int(horizon_hours)
        if not 0 <= horizon <= caps.size:
            raise ValueError(f"horizon_hours must be in 0..{caps.size}, got {horizon_hours}")
        self._caps = caps[:horizon]
        self._prioritised = prioritised
        self.hour = 0
        self._carry = 0.0
        self._added = 0
        self._key = np.empty(0, dtype=np.int64)
        self._arrival = np.empty(0)
        self._priority = np.empty(0)
        self._backlog: list[np.ndarray] = []

    @property
    def added(self) -> int:
        """Items added over all calls (the next item's position)."""
        return self._added

    @property
    def waiting(self) -> int:
        """Items added and not served (including any that arrive after the current hour)."""
        return int(self._key.size)

    @property
    def backlog(self) -> np.ndarray:
        """Items waiting at the end of each hour served so far."""
        return np.concatenate(self._backlog) if self._backlog else np.zeros(0, dtype=np.int64)

    def advance(
        self, arrival_hours: np.ndarray, until_hour: int, priority: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        arrivals = np.asarray(arrival_hours, dtype=np.float64)
        if arrivals.ndim != 1 or not np.all(np.isfinite(arrivals)):
            raise ValueError("arrival_hours must be one-dimensional and finite")
        if arrivals.size and arrivals.min() < self.hour:
            raise ValueError(f"items must arrive at or after hour {self.hour}")
        if (priority is None) == self._prioritised:
            raise ValueError("give priority exactly when the queue is prioritised")
        prio = np.zeros(arrivals.size) if priority is None else np.asarray(priority, np.float64)
        if prio.shape != arrivals.shape or np.any(np.isnan(prio)):
            raise ValueError("priority must have one value (not NaN) per arrival")
        until = min(int(until_hour), self._caps.size)
        if until < self.hour:
            raise ValueError(f"until_hour {until_hour} is before the current hour {self.hour}")
        keys = np.arange(self._added, self._added + arrivals.size, dtype=np.int64)
        self._added += arrivals.size
        key = np.concatenate([self._key, keys])
        arrival = np.concatenate([self._arrival, arrivals])
        prio = np.concatenate([self._priority, prio])
        start = self.hour
        # Items waiting from earlier hours count as arriving at the span's start; their order
        # (kept by arrival, then position) breaks the ties exactly as one whole-run call would.
        shifted = np.maximum(arrival - start, 0.0)
        completed, backlog, _, self._carry = _serve(
            shifted, self._caps[start:until], prio if self._prioritised else None,
            carry=self._carry,
        )  # fmt: skip
        self._backlog.append(backlog)
        self.hour = until
        done = np.isfinite(completed)
        left = ~done
        self._key, self._arrival, self._priority = key[left], arrival[left], prio[left]
        return key[done], np.maximum(completed[done] + start, arrival[done])


def _hourly_counts(
    arrivals_per_hour: np.ndarray, caps: np.ndarray, carry: float = 0.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Items served per hour, backlog at the end of each hour (the credit rule) and the carry
    after the last hour; ``carry`` is the credit left from an earlier span (0 at the start)."""
    served = np.zeros(caps.size, dtype=np.int64)
    backlog = np.zeros(caps.size, dtype=np.int64)
    waiting = 0
    for h, (arriving, cap) in enumerate(
        zip(arrivals_per_hour.tolist(), caps.tolist(), strict=True)
    ):
        waiting += arriving
        credit = carry + cap
        n = min(waiting, math.floor(credit + FLOOR_TOLERANCE))
        waiting -= n
        carry = max(credit - n, 0.0) if waiting else 0.0
        served[h] = n
        backlog[h] = waiting
    return served, backlog, carry


def _fifo_order(arrivals: np.ndarray, total_served: int) -> np.ndarray:
    """The first ``total_served`` items by arrival (ties by input position)."""
    return np.argsort(arrivals, kind="stable")[:total_served]


def _service_ranks(arrivals: np.ndarray, prio: np.ndarray) -> np.ndarray:
    """Rank of each item in priority order: priority desc, then arrival, then position."""
    order = np.lexsort((arrivals, -prio))
    ranks = np.empty(arrivals.size, dtype=np.int64)
    ranks[order] = np.arange(arrivals.size, dtype=np.int64)
    return ranks


def _priority_order(
    ranks: np.ndarray, arrival_hour: np.ndarray, arrived: np.ndarray, served: np.ndarray
) -> np.ndarray:
    """Items in service order: each hour, the ``served[h]`` best-ranked waiting items.

    A binary heap of ranks (``heapq`` on ints); an hour's arrivals are pushed one by one, or
    appended and re-heapified when they outnumber the heap.
    """
    horizon = served.size
    items = np.flatnonzero(arrived)
    by_hour = items[np.argsort(arrival_hour[items], kind="stable")]
    bounds = np.searchsorted(arrival_hour[by_hour], np.arange(horizon + 1), side="left").tolist()
    new_ranks = ranks[by_hour].tolist()
    item_of_rank = np.empty(ranks.size, dtype=np.int64)
    item_of_rank[ranks] = np.arange(ranks.size, dtype=np.int64)

    heap: list[int] = []
    push, pop = heapq.heappush, heapq.heappop
    taken: list[int] = []
    take = taken.append
    for h, n in enumerate(served.tolist()):
        batch = new_ranks[bounds[h] : bounds[h + 1]]
        if len(batch) > len(heap):
            heap.extend(batch)
            heapq.heapify(heap)
        else:
            for rank in batch:
                push(heap, rank)
        for _ in range(n):
            take(pop(heap))
    return item_of_rank[np.asarray(taken, dtype=np.int64)]


def _completion_times(
    arrivals: np.ndarray, service_hour: np.ndarray, served: np.ndarray
) -> np.ndarray:
    """Completion times of served items given in service order (closed form of the rule)."""
    if arrivals.size == 0:
        return np.empty(0)
    block_start = np.cumsum(served) - served
    size = served[service_hour].astype(np.float64)
    position = np.arange(arrivals.size) - block_start[service_hour]
    remaining = size - position  # items still to serve in the hour, this one included
    end = service_hour + 1.0
    share = np.minimum(1.0 / size, (end - np.maximum(arrivals, service_hour)) / remaining)
    # Running minimum within each hour's block; only blocks with a mid-hour arrival can differ.
    late = np.flatnonzero(arrivals > service_hour)
    for h in np.unique(service_hour[late]).tolist():
        lo, hi = int(block_start[h]), int(block_start[h] + served[h])
        share[lo:hi] = np.minimum.accumulate(share[lo:hi])
    completed = end - (remaining - 1.0) * share
    clamped: np.ndarray = np.minimum(np.maximum(completed, arrivals), end)
    return clamped
