"""The ``EventStore`` conformance kit: realistic event factories and ``EventStoreContract``
(subclass it, give a ``store`` fixture yielding a fresh, empty store)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput, StoreUnavailable
from deepscreen.core.events import (
    AppealOutcome,
    AppealResolved,
    DecisionMade,
    Event,
    ItemIngested,
    ItemRestored,
    LabelSampled,
    NoticeReceived,
    ReviewCompleted,
    SignalsComputed,
    Verdict,
    ViewsObserved,
)
from deepscreen.core.imports import ImportRecord
from deepscreen.core.media import MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.store.events.ports import EventStore

T0 = datetime(2025, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def make_decision(
    item_id: str,
    *,
    decision_id: str | None = None,
    policy_revision: str = "rev-1",
    action: Action = Action.LABEL,
    rule_id: str | None = "label_likely_ai",
    at: datetime = T0,
) -> Decision:
    return Decision(
        decision_id=decision_id or f"dec-{item_id}-{policy_revision}",
        item_id=item_id,
        policy_revision=policy_revision,
        rule_id=rule_id,
        action=action,
        decided_at=at,
        action_params={"label": "ai_generated"} if action is Action.LABEL else {},
        inputs={"signals": {"metadata": {"score": 0.97, "ai_tool": "example"}}, "item": {}},
        detector_versions={"metadata": "1.0", "frequency": "0.3"},
    )


def item_events(
    item_id: str = "item-1",
    *,
    at: datetime = T0,
    policy_revision: str = "rev-1",
    action: Action = Action.LABEL,
    decision_id: str | None = None,
) -> list[Event]:
    """An ingest as the pipeline records it: ItemIngested, SignalsComputed, DecisionMade."""
    decision = make_decision(
        item_id, decision_id=decision_id, policy_revision=policy_revision, action=action, at=at
    )
    return [
        ItemIngested(
            item_id=item_id,
            occurred_at=at,
            kind=MediaKind.IMAGE,
            mime="image/png",
            width=640,
            height=480,
            size_bytes=123_456,
            source="upload",
            attributes={"uploader": "u-42", "creator_disclosed": False, "followers": 1200},
        ),
        SignalsComputed(
            item_id=item_id,
            occurred_at=at + timedelta(milliseconds=40),
            results=(
                SignalResult.scored("metadata", "1.0", 0.97, {"ai_tool": "example", "tags": [1]}),
                SignalResult.abstain("frequency", "0.3", "image too small"),
            ),
        ),
        DecisionMade(
            item_id=item_id, occurred_at=at + timedelta(milliseconds=45), decision=decision
        ),
    ]


def review_event(
    item_id: str,
    decision_id: str | None,
    *,
    at: datetime = T0,
    verdict: Verdict = Verdict.VIOLATING,
) -> ReviewCompleted:
    return ReviewCompleted(
        item_id=item_id,
        occurred_at=at + timedelta(hours=2),
        verdict=verdict,
        reviewer="reviewer-7",
        label="ai_generated",
        reason_code="synthetic",
        decision_id=decision_id,
    )


def views_event(item_id: str, views: int, *, at: datetime = T0) -> ViewsObserved:
    return ViewsObserved(item_id=item_id, occurred_at=at + timedelta(hours=1), views=views)


def every_event_type(item_id: str = "item-all", *, at: datetime = T0) -> list[Event]:
    """One event of each type for one item, in the order the pipeline would record them."""
    made = item_events(item_id, at=at)
    decision_id = f"dec-{item_id}-rev-1"
    return [
        *made,
        views_event(item_id, 17, at=at),
        NoticeReceived(item_id=item_id, occurred_at=at + timedelta(minutes=30)),
        review_event(item_id, decision_id),
        LabelSampled(
            item_id=item_id,
            occurred_at=at + timedelta(hours=1),
            sample_id="s-1",
            stratum="actioned:0.9-1.0",
            inclusion_probability=0.25,
        ),
        AppealResolved(
            item_id=item_id,
            occurred_at=at + timedelta(days=2),
            received_at=at + timedelta(days=1),
            outcome=AppealOutcome.REVERSED,
            decision_id=decision_id,
        ),
        ItemRestored(item_id=item_id, occurred_at=at + timedelta(days=2), decision_id=decision_id),
    ]


def import_record(
    kind: str, digest: str, *, events: int, at: datetime = T0, source: str = "in.csv"
) -> ImportRecord:
    return ImportRecord(kind=kind, digest=digest, source=source, imported_at=at, events=events)


def _count(store: EventStore) -> int:
    return sum(1 for _ in store.read())


def _ids(decisions: list[Decision]) -> list[str]:
    return [d.item_id for d in decisions]


def _race_record_item(store: EventStore, item_id: str, writers: int = 2) -> list[bool]:
    """Start ``writers`` threads recording the same item at once; return what each got."""
    barrier = threading.Barrier(writers)

    def record() -> bool:
        barrier.wait()
        return store.record_item(item_events(item_id))

    with ThreadPoolExecutor(writers) as pool:
        futures = [pool.submit(record) for _ in range(writers)]
        return [f.result() for f in futures]


class EventStoreContract:
    """Behaviour every ``EventStore`` adapter must show; the fixture gives an empty store."""

    @pytest.fixture
    def store(self) -> EventStore:
        raise NotImplementedError("subclasses provide a fresh, empty store")

    def test_read_yields_events_in_append_order(self, store: EventStore) -> None:
        first, second = item_events("a"), item_events("b")
        store.append(first)
        store.append(second)
        assert list(store.read()) == first + second

    def test_read_filters_by_kind(self, store: EventStore) -> None:
        store.append(every_event_type("a") + every_event_type("b"))
        got = list(store.read(kinds={"decision_made", "views_observed"}))
        assert [e.type for e in got] == ["decision_made", "views_observed"] * 2

    def test_read_refuses_unknown_kind(self, store: EventStore) -> None:
        with pytest.raises(InvalidInput, match="decision_mad"):
            store.read(kinds=["decision_mad"])
        with pytest.raises(InvalidInput):
            store.read(kinds="decision_made")

    def test_read_since_is_exclusive(self, store: EventStore) -> None:
        store.append(item_events("a"))
        seqs = [seq for seq, _ in store.read_with_seq()]
        assert seqs == sorted(seqs) and len(set(seqs)) == 3
        store.append(item_events("b"))
        assert [e.item_id for e in store.read(since=seqs[-1])] == ["b"] * 3
        assert [e.type for e in store.read(since=seqs[0])][:2] == [
            "signals_computed",
            "decision_made",
        ]

    def test_for_item_returns_only_that_item_in_order(self, store: EventStore) -> None:
        store.append(item_events("a")[:2] + item_events("b") + item_events("a")[2:])
        assert store.for_item("a") == item_events("a")
        assert store.for_item("missing") == []

    def test_record_item_is_idempotent_when_item_exists(self, store: EventStore) -> None:
        assert store.record_item(item_events("a")) is True
        assert store.has_item("a") and not store.has_item("b")
        again = item_events("a", policy_revision="rev-2", at=T0 + timedelta(days=1))
        assert store.record_item(again) is False
        assert _count(store) == 3
        assert store.decisions(policy_revision="rev-2") == []

    def test_record_items_writes_new_items_in_one_call_and_skips_known_ones(
        self, store: EventStore
    ) -> None:
        assert store.record_item(item_events("a")) is True
        batch = [item_events("a"), item_events("b"), item_events("c"), item_events("b")]
        assert store.record_items(batch) == [False, True, True, False]
        assert _count(store) == 9
        assert [store.for_item(i) for i in "bc"] == [item_events("b"), item_events("c")]
        assert store.latest_decision("c") is not None
        assert store.record_items([]) == []
        assert store.record_items([item_events("c"), item_events("d")]) == [False, True]

    def test_record_items_checks_every_batch_before_writing(self, store: EventStore) -> None:
        with pytest.raises(InvalidInput):
            store.record_items([item_events("a"), item_events("b")[1:]])
        assert _count(store) == 0 and not store.has_item("a")

    def test_record_item_refuses_a_batch_without_leading_ingest(self, store: EventStore) -> None:
        events = item_events("a")
        for bad in ([], events[1:], [events[0], *events], events + item_events("b")[1:]):
            with pytest.raises(InvalidInput):
                store.record_item(bad)
        assert _count(store) == 0 and not store.has_item("a")

    def test_record_item_writes_nothing_when_decision_id_taken(self, store: EventStore) -> None:
        store.record_item(item_events("a", decision_id="dup"))
        with pytest.raises(InvalidInput):
            store.record_item(item_events("b", decision_id="dup"))
        assert _count(store) == 3 and not store.has_item("b")

    def test_append_is_all_or_nothing(self, store: EventStore) -> None:
        store.append(item_events("a", decision_id="dup"))
        batches = [
            [views_event("a", 3), *item_events("b", decision_id="dup")],
            [*item_events("c", decision_id="x"), *item_events("d", decision_id="x")[1:]],
            [views_event("a", 3), item_events("a")[0]],
            [item_events("e")[0], item_events("e")[0]],
        ]
        for batch in batches:
            with pytest.raises(InvalidInput):
                store.append(batch)
        assert _count(store) == 3
        assert not any(store.has_item(i) for i in "bcde")

    def test_append_registers_ingested_items(self, store: EventStore) -> None:
        store.append(item_events("a"))
        assert store.has_item("a")
        assert store.record_item(item_events("a")) is False

    def test_naive_datetime_is_refused(self, store: EventStore) -> None:
        naive = datetime(2025, 3, 1, 12, 0)
        bad_decision = DecisionMade(
            item_id="a", occurred_at=T0, decision=make_decision("a", at=naive)
        )
        for batch in ([views_event("a", 1), views_event("a", 2, at=naive)], [bad_decision]):
            with pytest.raises(InvalidInput, match="naive"):
                store.append(batch)
        with pytest.raises(InvalidInput, match="naive"):
            store.record_item(item_events("b", at=naive))
        assert _count(store) == 0

    def test_every_event_type_round_trips(self, store: EventStore) -> None:
        cet = timezone(timedelta(hours=1))
        events = every_event_type("a") + every_event_type("b", at=T0.astimezone(cet))
        store.append(events)
        got = list(store.read())
        assert got == events
        assert all(e.occurred_at.utcoffset() == timedelta(0) for e in got)
        assert store.latest_decision("b") == make_decision("b", at=T0.astimezone(cet))

    def test_read_rows_matches_read_without_decoding(self, store: EventStore) -> None:
        from deepscreen.store.events.codec import decode_event

        store.append(every_event_type("a"))
        rows = list(store.read_rows())
        events = list(store.read_with_seq())
        assert [r[0] for r in rows] == [seq for seq, _ in events]
        for (_seq, kind, item_id, at, payload), (_, event) in zip(rows, events, strict=True):
            assert (kind, item_id, at) == (event.type, event.item_id, event.occurred_at)
            assert at.utcoffset() == timedelta(0)
            assert decode_event(payload) == event
        assert [r[0] for r in store.read_rows(since=rows[2][0])] == [r[0] for r in rows[3:]]

    def test_decisions_filter_and_paginate_in_append_order(self, store: EventStore) -> None:
        plan = [
            ("a", "rev-1", Action.LABEL),
            ("b", "rev-2", Action.REMOVE),
            ("c", "rev-1", Action.REMOVE),
            ("d", "rev-1", Action.LABEL),
        ]
        for item_id, rev, action in plan:
            store.record_item(item_events(item_id, policy_revision=rev, action=action))
        assert _ids(store.decisions()) == ["a", "b", "c", "d"]
        assert _ids(store.decisions(policy_revision="rev-1")) == ["a", "c", "d"]
        assert _ids(store.decisions(action="remove")) == ["b", "c"]
        assert _ids(store.decisions(policy_revision="rev-1", action=Action.LABEL)) == ["a", "d"]
        assert _ids(store.decisions(limit=2, offset=1)) == ["b", "c"]
        assert store.decisions(offset=10) == [] and store.decisions(limit=0) == []
        assert store.decisions()[0] == make_decision("a")
        with pytest.raises(InvalidInput, match="delete"):
            store.decisions(action="delete")

    def test_decisions_filter_by_decision_time(self, store: EventStore) -> None:
        for n, item_id in enumerate("abcd"):
            store.record_item(item_events(item_id, at=T0 + timedelta(hours=n)))
        one, three = T0 + timedelta(hours=1), T0 + timedelta(hours=3)
        assert _ids(store.decisions(since=one)) == ["b", "c", "d"]
        assert _ids(store.decisions(until=three)) == ["a", "b", "c"]
        assert _ids(store.decisions(since=one, until=three)) == ["b", "c"]
        paris = timezone(timedelta(hours=2))
        assert _ids(store.decisions(since=one.astimezone(paris), limit=1, offset=1)) == ["c"]
        with pytest.raises(InvalidInput, match="naive"):
            store.decisions(since=datetime(2025, 1, 1))

    def test_latest_decision_is_the_last_appended(self, store: EventStore) -> None:
        assert store.latest_decision("a") is None
        store.record_item(item_events("a"))
        later = make_decision("a", decision_id="d2", policy_revision="rev-2", action=Action.ALLOW)
        store.append([DecisionMade(item_id="a", occurred_at=T0, decision=later)])
        store.record_item(item_events("b"))
        assert store.latest_decision("a") == later

    def test_concurrent_record_item_has_one_winner(self, store: EventStore) -> None:
        for round_ in range(5):
            assert sorted(_race_record_item(store, f"race-{round_}")) == [False, True]
        assert _count(store) == 15

    def test_append_import_applies_the_same_content_once(self, store: EventStore) -> None:
        first = import_record("views", "a" * 64, events=2)
        assert store.append_import(first, [views_event("a", 1), views_event("b", 2)]) is None
        again = import_record("views", "a" * 64, events=2, at=T0 + timedelta(days=1))
        assert store.append_import(again, [views_event("a", 1), views_event("b", 2)]) == first
        assert [e.views for e in store.read(kinds=["views_observed"])] == [1, 2]  # type: ignore[union-attr]
        other_kind = import_record("labels", "a" * 64, events=1)
        assert store.append_import(other_kind, [review_event("a", "d-1")]) is None
        assert _count(store) == 3

    def test_append_import_writes_neither_events_nor_record_on_a_bad_batch(
        self, store: EventStore
    ) -> None:
        record = import_record("views", "b" * 64, events=2)
        naive = ViewsObserved(item_id="a", occurred_at=datetime(2025, 1, 1), views=3)
        with pytest.raises(InvalidInput):
            store.append_import(record, [views_event("a", 1), naive])
        assert _count(store) == 0
        assert store.append_import(record, [views_event("a", 1)]) is None  # not marked applied
        assert _count(store) == 1
        with pytest.raises(InvalidInput, match="naive"):
            store.append_import(
                import_record("views", "c" * 64, events=0, at=datetime(2025, 1, 1)), []
            )

    def test_concurrent_imports_of_one_content_apply_it_once(self, store: EventStore) -> None:
        writers = 4
        barrier = threading.Barrier(writers)

        def apply(n: int) -> ImportRecord | None:
            barrier.wait()
            record = import_record("views", "d" * 64, events=1, source=f"copy-{n}.csv")
            return store.append_import(record, [views_event("a", 5)])

        with ThreadPoolExecutor(writers) as pool:
            results = list(pool.map(apply, range(writers)))
        assert sum(r is None for r in results) == 1 and _count(store) == 1
        assert len({r.source for r in results if r is not None}) == 1

    def test_calls_after_close_raise_store_unavailable(self, store: EventStore) -> None:
        store.append(item_events("a"))
        store.close()
        with pytest.raises(StoreUnavailable):
            store.for_item("a")
        with pytest.raises(StoreUnavailable):
            store.append([views_event("a", 1)])
