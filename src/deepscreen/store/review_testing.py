"""The ``ReviewQueueStore`` conformance kit: a task factory and one contract-test class.

Subclass ``ReviewQueueContract`` and provide a ``store`` fixture yielding a fresh, empty store;
``store.review_race`` races many claimers against one database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from deepscreen.core.errors import InvalidInput, LeaseNotHeld, StoreUnavailable, TaskNotFound
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.store.review_ports import ReviewQueueStore
from deepscreen.store.review_race import LEASE, check_race, race_to_drain

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


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
