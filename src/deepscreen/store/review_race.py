"""A claim race for ``ReviewQueueStore`` adapters: many reviewers drain one queue at once,
each on its own store instance (connections) when given several, and ``check_race`` asserts
that no task was ever held by two reviewers at once. Times are fixed (``now``): leases never
expire during a race, so any second holder is a real double claim.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from deepscreen.core.tasks import TaskStatus
from deepscreen.store.review_ports import ReviewQueueStore

LEASE = 600.0


@dataclass
class Race:
    """What a claim race saw: every claim (task id, reviewer) and any double hold."""

    claims: list[tuple[str, str]] = field(default_factory=list)
    double_holds: list[str] = field(default_factory=list)
    released: set[str] = field(default_factory=set)


def race_to_drain(stores: Sequence[ReviewQueueStore], *, threads: int, now: datetime) -> Race:
    """``threads`` reviewers (thread ``i`` on ``stores[i % len(stores)]``) claim until the
    queue is empty. A task's first claim is released when its number is a multiple of 4
    (so it is claimed again), every other claim completed. Holds are tracked outside the
    store: a claim of a task some other thread still holds is a double hold."""
    race, lock = Race(), threading.Lock()
    holders: dict[str, str] = {}
    start = threading.Barrier(threads)

    def reviewer(i: int) -> None:
        store, name = stores[i % len(stores)], f"reviewer-{i:02d}"
        start.wait()
        while (task := store.claim_next(name, now=now, lease_seconds=LEASE)) is not None:
            with lock:
                race.claims.append((task.task_id, name))
                if task.task_id in holders:
                    race.double_holds.append(task.task_id)
                holders[task.task_id] = name
                release = int(task.task_id[-4:]) % 4 == 0 and task.task_id not in race.released
                if release:
                    race.released.add(task.task_id)
                del holders[task.task_id]  # before the store lets go, so no false alarm
            if release:
                store.release(task.task_id, name, now=now)
            else:
                store.complete(task.task_id, name, now=now, outcome={"by": name})

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(reviewer, i) for i in range(threads)]:
            future.result()
    return race


def check_race(store: ReviewQueueStore, race: Race, tasks: int) -> None:
    """Every task claimed (twice if released), completed once by its last claimer, never
    held by two reviewers at once."""
    assert race.double_holds == []
    per_task = Counter(task_id for task_id, _ in race.claims)
    assert len(per_task) == tasks
    assert all(n == (2 if t in race.released else 1) for t, n in per_task.items())
    last_claimer = dict(race.claims)
    done = store.list_tasks(statuses=[TaskStatus.DONE], limit=tasks)
    assert len(done) == tasks
    assert all(
        t.completed_by == last_claimer[t.task_id] == t.payload["outcome"]["by"] for t in done
    )
    assert all(t.claims == per_task[t.task_id] for t in done)
