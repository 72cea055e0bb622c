"""The ``ReviewQueueStore`` conformance kit: a task factory, ``ReviewQueueContract`` (subclass
it, give a ``store`` fixture yielding an empty store) and a claim race over many connections."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from deepscreen.core.errors import InvalidInput, LeaseNotHeld, StoreUnavailable, TaskNotFound
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.store.review.ports import ReviewQueueStore

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)
LEASE = 600.0


def make_task(
    n: int,
    *,
    queue: str = "synthetic_media",
    kind: TaskKind = TaskKind.REVIEW,
    priority: float = 1.0,
    at: datetime = T0,
    due_hours: float | None = 24.0,
    exclude_reviewer: str | None = None,
) -> ReviewTask:
    """Task ``n`` (id ``task-<n>``, 4 digits, so ids sort like numbers)."""
    return ReviewTask(
        task_id=f"task-{n:04d}",
        item_id=f"sha256:{n:064x}",
        kind=kind,
        queue=queue,
        priority=priority,
        created_at=at,
        due_at=None if due_hours is None else at + timedelta(hours=due_hours),
        exclude_reviewer=exclude_reviewer,
        decision_id=f"dec-{n}",
        payload={"context": {"rule_id": "review_uncertain", "n": n}, "tags": ["a", 1, None]},
    )


class ReviewQueueContract:
    """Behaviour every ``ReviewQueueStore`` adapter must show; the fixture gives an empty store."""

    @pytest.fixture
    def store(self) -> ReviewQueueStore:
        raise NotImplementedError("subclasses provide a fresh, empty store")

    def test_added_task_reads_back_in_utc(self, store: ReviewQueueStore) -> None:
        cet = timezone(timedelta(hours=1))
        task = make_task(1)
        local = replace(task, created_at=T0.astimezone(cet), due_at=task.due_at.astimezone(cet))  # type: ignore[union-attr]
        assert store.add([local]) == 1
        got = store.get("task-0001")
        assert got == task and got.created_at.utcoffset() == timedelta(0)

    def test_add_is_idempotent_on_task_id(self, store: ReviewQueueStore) -> None:
        assert store.add([make_task(1), make_task(2), make_task(1, priority=9.0)]) == 2
        assert store.add([make_task(1, priority=5.0), make_task(3)]) == 1
        assert store.get("task-0001").priority == 1.0
        assert store.add([]) == 0

    @pytest.mark.parametrize(
        "bad",
        [
            {"created_at": datetime(2025, 3, 1)},
            {"status": TaskStatus.CLAIMED, "claimed_by": "x"},
            {"payload": {"x": object()}},
            {"payload": {"x": float("nan")}},
            {"priority": float("inf")},
            {"task_id": ""},
        ],
    )
    def test_add_refuses_a_bad_batch_whole(
        self, store: ReviewQueueStore, bad: dict[str, Any]
    ) -> None:
        with pytest.raises(InvalidInput):
            store.add([make_task(1), replace(make_task(2), **bad)])
        assert store.list_tasks() == []

    def test_claim_takes_highest_priority_then_oldest(self, store: ReviewQueueStore) -> None:
        store.add(
            [
                make_task(1, priority=1.0),
                make_task(2, priority=5.0, at=T0 + timedelta(minutes=1)),
                make_task(3, priority=5.0),
                make_task(4, priority=5.0),
            ]
        )
        order = [store.claim_next("r", now=T0, lease_seconds=LEASE) for _ in range(5)]
        assert [t.task_id if t else None for t in order] == [
            "task-0003",
            "task-0004",
            "task-0002",
            "task-0001",
            None,
        ]

    def test_claim_sets_a_lease(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        task = store.claim_next("alice", now=T0, lease_seconds=LEASE)
        assert task is not None and task == store.get("task-0001")
        assert (task.status, task.claimed_by, task.claims) == (TaskStatus.CLAIMED, "alice", 1)
        assert task.lease_expires_at == T0 + timedelta(seconds=LEASE)

    def test_claim_filters_queues_and_kinds(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1, queue="a"), make_task(2, queue="b", kind=TaskKind.APPEAL)])
        assert store.claim_next("r", now=T0, lease_seconds=LEASE, queues=["c"]) is None
        got = store.claim_next("r", now=T0, lease_seconds=LEASE, kinds=[TaskKind.APPEAL])
        assert got is not None and got.task_id == "task-0002"
        got = store.claim_next("r", now=T0, lease_seconds=LEASE, queues=["a", "b"])
        assert got is not None and got.task_id == "task-0001"

    def test_claim_never_gives_a_task_to_its_excluded_reviewer(
        self, store: ReviewQueueStore
    ) -> None:
        store.add([make_task(1, exclude_reviewer="alice", priority=9.0), make_task(2)])
        got = store.claim_next("alice", now=T0, lease_seconds=LEASE)
        assert got is not None and got.task_id == "task-0002"
        assert store.claim_next("alice", now=T0, lease_seconds=LEASE) is None
        with pytest.raises(LeaseNotHeld, match="excluded"):
            store.claim("task-0001", "alice", now=T0, lease_seconds=LEASE)
        assert store.claim("task-0001", "bob", now=T0, lease_seconds=LEASE).claimed_by == "bob"

    def test_expired_lease_makes_the_task_claimable_again(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        store.claim_next("alice", now=T0, lease_seconds=LEASE)
        expiry = T0 + timedelta(seconds=LEASE)
        just_before = expiry - timedelta(microseconds=1)
        assert store.claim_next("bob", now=just_before, lease_seconds=LEASE) is None
        stolen = store.claim_next("bob", now=expiry, lease_seconds=LEASE)
        assert stolen is not None and (stolen.claimed_by, stolen.claims) == ("bob", 2)
        with pytest.raises(LeaseNotHeld, match="another reviewer"):
            store.complete("task-0001", "alice", now=expiry, outcome={})
        with pytest.raises(LeaseNotHeld, match="expired"):
            store.complete("task-0001", "bob", now=expiry + timedelta(hours=1), outcome={})

    def test_renew_extends_only_a_valid_lease(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        store.claim_next("alice", now=T0, lease_seconds=LEASE)
        later = T0 + timedelta(seconds=LEASE - 1)
        renewed = store.renew("task-0001", "alice", now=later, lease_seconds=LEASE)
        assert renewed.lease_expires_at == later + timedelta(seconds=LEASE)
        with pytest.raises(LeaseNotHeld):
            store.renew("task-0001", "bob", now=later, lease_seconds=LEASE)
        with pytest.raises(LeaseNotHeld, match="expired"):
            store.renew("task-0001", "alice", now=later + timedelta(days=1), lease_seconds=1)

    def test_release_reopens_the_task(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        store.claim_next("alice", now=T0, lease_seconds=LEASE)
        with pytest.raises(LeaseNotHeld):
            store.release("task-0001", "bob", now=T0)
        released = store.release("task-0001", "alice", now=T0)
        assert (released.status, released.claimed_by, released.lease_expires_at) == (
            TaskStatus.OPEN,
            None,
            None,
        )
        again = store.claim_next("bob", now=T0, lease_seconds=LEASE)
        assert again is not None and (again.claimed_by, again.claims) == ("bob", 2)

    def test_complete_records_the_outcome_once(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        store.claim_next("alice", now=T0, lease_seconds=LEASE)
        done = store.complete("task-0001", "alice", now=T0, outcome={"verdict": "violating"})
        assert (done.status, done.completed_by, done.completed_at) == (TaskStatus.DONE, "alice", T0)
        assert done.payload["outcome"] == {"verdict": "violating"}
        assert done.payload["context"]["n"] == 1 and done == store.get("task-0001")
        with pytest.raises(LeaseNotHeld, match="already done"):
            store.complete("task-0001", "alice", now=T0, outcome={})
        assert store.claim_next("bob", now=T0 + timedelta(days=9), lease_seconds=LEASE) is None

    def test_complete_refuses_an_unclaimed_or_unknown_task(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        with pytest.raises(LeaseNotHeld, match="not claimed"):
            store.complete("task-0001", "alice", now=T0, outcome={})
        with pytest.raises(TaskNotFound, match="nope"):
            store.complete("nope", "alice", now=T0, outcome={})
        with pytest.raises(TaskNotFound):
            store.get("nope")
        with pytest.raises(TaskNotFound):
            store.claim("nope", "alice", now=T0, lease_seconds=LEASE)

    def test_list_filters_and_pages_in_claim_order(self, store: ReviewQueueStore) -> None:
        store.add([make_task(n, priority=float(n % 3), queue="ab"[n % 2]) for n in range(1, 8)])
        store.claim_next("alice", now=T0, lease_seconds=LEASE, queues=["a"])
        everything = store.list_tasks()
        assert [t.priority for t in everything] == sorted(
            (t.priority for t in everything), reverse=True
        )
        assert store.list_tasks(limit=3, offset=2) == everything[2:5]
        assert {t.queue for t in store.list_tasks(queues=["b"])} == {"b"}
        claimed = store.list_tasks(statuses=[TaskStatus.CLAIMED])
        assert [t.claimed_by for t in claimed] == ["alice"]
        assert [t.task_id for t in store.list_tasks(item_id=make_task(3).item_id)] == ["task-0003"]
        assert store.list_tasks(kinds=[TaskKind.GOLD]) == [] and store.list_tasks(limit=0) == []

    def test_overdue_lists_late_open_tasks_by_deadline(self, store: ReviewQueueStore) -> None:
        store.add(
            [
                make_task(1, due_hours=2),
                make_task(2, due_hours=1),
                make_task(3, due_hours=None),
                make_task(4, due_hours=30),
                make_task(5, due_hours=1),
            ]
        )
        store.claim("task-0005", "alice", now=T0, lease_seconds=LEASE)
        store.complete("task-0005", "alice", now=T0, outcome={})
        late = store.overdue(now=T0 + timedelta(hours=3))
        assert [t.task_id for t in late] == ["task-0002", "task-0001"]
        assert store.overdue(now=T0 + timedelta(hours=3), limit=1, offset=1) == late[1:]
        assert store.overdue(now=T0 + timedelta(hours=3), queues=["other"]) == []

    def test_counts_per_queue_and_status(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1, queue="b", due_hours=1), make_task(2, queue="a"), make_task(3)])
        store.claim("task-0002", "alice", now=T0, lease_seconds=LEASE)
        counts = store.counts(now=T0 + timedelta(hours=2))
        assert [(c.queue, c.status.value, c.tasks, c.overdue) for c in counts] == [
            ("a", "claimed", 1, 0),
            ("b", "open", 1, 1),
            ("synthetic_media", "open", 1, 0),
        ]
        assert [c.overdue for c in store.counts(now=T0)] == [0, 0, 0]

    def test_bad_arguments_are_invalid_input(self, store: ReviewQueueStore) -> None:
        store.add([make_task(1)])
        with pytest.raises(InvalidInput, match="timezone-aware"):
            store.claim_next("r", now=datetime(2025, 3, 1), lease_seconds=LEASE)
        with pytest.raises(InvalidInput, match="lease_seconds"):
            store.claim_next("r", now=T0, lease_seconds=0)
        with pytest.raises(InvalidInput, match="reviewer"):
            store.claim_next(" ", now=T0, lease_seconds=LEASE)
        with pytest.raises(InvalidInput, match="not the string"):
            store.claim_next("r", now=T0, lease_seconds=LEASE, queues="synthetic_media")
        with pytest.raises(InvalidInput, match="limit"):
            store.list_tasks(limit=-1)
        store.claim_next("r", now=T0, lease_seconds=LEASE)
        with pytest.raises(InvalidInput, match="outcome"):
            store.complete("task-0001", "r", now=T0, outcome=["not", "a", "mapping"])  # type: ignore[arg-type]
        assert store.get("task-0001").status is TaskStatus.CLAIMED

    def test_threads_sharing_one_instance_never_share_a_task(self, store: ReviewQueueStore) -> None:
        store.add([make_task(n) for n in range(1, 81)])
        check_race(store, race_to_drain([store], threads=8, now=T0), tasks=80)

    def test_closed_store_is_unavailable(self, store: ReviewQueueStore) -> None:
        store.close()
        with pytest.raises(StoreUnavailable):
            store.list_tasks()
        with pytest.raises(StoreUnavailable):
            store.claim_next("r", now=T0, lease_seconds=LEASE)


# A claim race: many reviewers drain one queue at once, each on its own store instance
# (connections) when given several; ``check_race`` asserts that no task was ever held by two
# reviewers at once. Times are fixed (``now``): leases never expire during a race, so any
# second holder is a real double claim.


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
