"""The streaming worker in this process against a real JetStream server: stored decisions, the
output subject, idempotent redeliveries, the dead-letter subject, retries, store outages and a
graceful stop. Every wait is bounded (idle exits, message counts, timeouts); no timing is
asserted."""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import nats
import pytest
from nats.aio.msg import Msg

from deepscreen.bootstrap import build
from deepscreen.core.decisions import Action
from deepscreen.core.errors import StoreUnavailable
from deepscreen.core.events import DecisionMade
from deepscreen.scale import stream_messages
from deepscreen.scale.publish import Uploads, generated_png, publish_uploads
from deepscreen.scale.stream import StreamOptions, StreamWorker
from deepscreen.service.scan import Services
from deepscreen.settings import load_settings

TIMEOUT_S = 120  # no scenario may hang: each is cancelled after this


@pytest.fixture
def services() -> Iterator[Services]:
    services = build(load_settings(db_url="memory://"))
    yield services
    services.store.close()


def run(scenario: Any) -> Any:
    async def bounded() -> Any:
        return await asyncio.wait_for(scenario, TIMEOUT_S)

    return asyncio.run(bounded())


def options(url: str, stream: str, **overrides: Any) -> StreamOptions:
    base = StreamOptions(url=url, stream=stream, concurrency=3, idle_exit_s=1.5, retry_delay_s=0.1)
    return replace(base, **overrides)


async def publish_raw(url: str, subject: str, payloads: list[bytes]) -> None:
    """Publish as they are (no Nats-Msg-Id: equal payloads are distinct messages)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for payload in payloads:
            await js.publish(subject, payload)
    finally:
        await nc.close()


async def add_stream(url: str, name: str, subjects: list[str]) -> None:
    nc = await nats.connect(url)
    try:
        await nc.jetstream().add_stream(name=name, subjects=subjects)
    finally:
        await nc.close()


def record(index: int, **fields: Any) -> bytes:
    data = base64.b64encode(generated_png(7, index)).decode()
    return json.dumps({"data_b64": data, **fields}).encode()


def decision_counts(services: Services) -> Counter[str]:
    events = services.store.read(kinds={"decision_made"})
    return Counter(e.item_id for e in events if isinstance(e, DecisionMade))


def test_every_upload_is_stored_once_and_actionable_decisions_are_published(
    nats_url: str, new_stream: Callable[[], str], read_stream: Any, services: Services
) -> None:
    stream = new_stream()

    async def scenario() -> tuple[Any, Any, list[Any]]:
        await add_stream(nats_url, f"{stream}-out", [f"{stream}-out"])
        published = await publish_uploads(
            nats_url, f"{stream}.new", Uploads(count=8, ai_share=0.25, prefix="up-")
        )
        worker = StreamWorker(services, options(nats_url, stream, output=f"{stream}-out"))
        counts = await worker.run()
        return published, counts, await read_stream(f"{stream}-out")

    published, counts, outputs = run(scenario())
    assert published.acknowledged == 8 and published.stream == stream
    assert counts.stored == 8 and counts.finished == 8 and counts.dead_lettered == 0
    assert decision_counts(services) == Counter({item: 1 for item in published.ids})
    decisions = services.store.decisions(limit=100)
    flagged = {d.decision_id: d for d in decisions if d.action is not Action.ALLOW}
    assert len(flagged) == 2  # the two images with generator metadata are labelled
    bodies = [json.loads(m.data) for m in outputs]
    assert {b["decision_id"] for b in bodies} == set(flagged)
    for body in bodies:
        decision = flagged[body["decision_id"]]
        assert body == {
            "item_id": decision.item_id,
            "decision_id": decision.decision_id,
            "action": "label",
            "rule_id": decision.rule_id,
            "policy_revision": decision.policy_revision,
        }
    assert {m.headers["Nats-Msg-Id"] for m in outputs if m.headers} == set(flagged)


def test_redelivered_uploads_are_absorbed(
    nats_url: str, new_stream: Callable[[], str], services: Services
) -> None:
    stream = new_stream()
    twice = [record(1, id="platform-1"), record(1, id="platform-1"), record(2), record(2)]

    async def scenario() -> Any:
        await add_stream(nats_url, stream, [f"{stream}.>"])
        await publish_raw(nats_url, f"{stream}.new", twice)
        return await StreamWorker(services, options(nats_url, stream, concurrency=1)).run()

    counts = run(scenario())
    assert counts.stored == 2 and counts.already_stored == 2 and counts.dead_lettered == 0
    stored = decision_counts(services)
    assert len(stored) == 2 and set(stored.values()) == {1}
    assert "platform-1" in stored  # and the other is identified by its content hash


def test_poison_messages_are_dead_lettered_with_their_error_and_the_rest_is_stored(
    nats_url: str, new_stream: Callable[[], str], read_stream: Any, services: Services
) -> None:
    stream = new_stream()
    not_an_image = json.dumps({"id": "text", "data_b64": base64.b64encode(b"hello").decode()})
    poison = [b"{not json", json.dumps({"uri": 5}).encode(), not_an_image.encode()]
    good = [record(i, id=f"good-{i}") for i in range(3)]

    async def scenario() -> tuple[Any, list[Any]]:
        await add_stream(nats_url, stream, [f"{stream}.>"])
        await publish_raw(nats_url, f"{stream}.new", [good[0], *poison, *good[1:]])
        counts = await StreamWorker(services, options(nats_url, stream)).run()
        return counts, await read_stream(f"{stream}-dead")

    counts, dead = run(scenario())
    assert counts.stored == 3 and counts.dead_lettered == 3 and counts.retried == 0
    assert set(decision_counts(services)) == {"good-0", "good-1", "good-2"}
    assert [m.data for m in dead] == poison  # the original payloads, in stream order
    codes = [m.headers["Deepscreen-Error-Code"] for m in dead if m.headers]
    assert codes == ["bad_record", "bad_record", "unsupported_media"]
    for message in dead:
        assert message.headers is not None
        assert message.headers["Deepscreen-Error"]
        assert message.headers["Deepscreen-Deliveries"] == "1"  # permanent: not retried
        assert message.headers["Deepscreen-Stream"] == stream
        assert message.headers["Deepscreen-Subject"] == f"{stream}.new"
    assert "not a JSON object" in (dead[0].headers or {})["Deepscreen-Error"]


def test_failures_that_may_pass_are_retried_then_dead_lettered(
    nats_url: str,
    new_stream: Callable[[], str],
    read_stream: Any,
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = new_stream()
    real_decide = stream_messages.decide_record

    def buggy(services: Services, rec: Any) -> Any:
        if rec.item_id == "bug":
            raise RuntimeError("a detector bug")
        return real_decide(services, rec)

    monkeypatch.setattr(stream_messages, "decide_record", buggy)
    missing = json.dumps({"id": "gone", "uri": "file:///nonexistent/deepscreen/upload.png"})
    messages = [missing.encode(), record(0, id="bug"), record(1, id="fine")]

    async def scenario() -> tuple[Any, list[Any]]:
        await add_stream(nats_url, stream, [f"{stream}.>"])
        await publish_raw(nats_url, f"{stream}.new", messages)
        worker = StreamWorker(services, options(nats_url, stream, max_deliver=3))
        counts = await worker.run()
        return counts, await read_stream(f"{stream}-dead")

    counts, dead = run(scenario())
    assert counts.stored == 1 and counts.dead_lettered == 2
    assert counts.retried == 4  # two messages, delivered three times each
    by_code = {(m.headers or {})["Deepscreen-Error-Code"]: m for m in dead}
    assert set(by_code) == {"invalid_input", "internal_error"}
    assert all((m.headers or {})["Deepscreen-Deliveries"] == "3" for m in dead)
    assert "a detector bug" in (by_code["internal_error"].headers or {})["Deepscreen-Error"]
    assert set(decision_counts(services)) == {"fine"}


class FlakyStore:
    """The real store, unavailable for its first ``outages`` writes."""

    def __init__(self, store: Any, outages: int) -> None:
        self._store = store
        self.outages = outages

    def record_items(self, items: Any, **options: Any) -> list[bool]:
        if self.outages > 0:
            self.outages -= 1
            raise StoreUnavailable("event store is unavailable: simulated outage")
        return list(self._store.record_items(items, **options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_store_outage_is_retried_never_dead_lettered(
    nats_url: str, new_stream: Callable[[], str], read_stream: Any, services: Services
) -> None:
    stream = new_stream()
    flaky = FlakyStore(services.store, outages=3)
    shaky = replace(services, store=flaky)  # type: ignore[arg-type]

    async def scenario() -> tuple[Any, list[Any]]:
        await add_stream(nats_url, stream, [f"{stream}.>"])
        await publish_raw(nats_url, f"{stream}.new", [record(i, id=f"u{i}") for i in range(4)])
        # max_deliver 1: any failure counted against a message would dead-letter it at once.
        counts = await StreamWorker(shaky, options(nats_url, stream, max_deliver=1)).run()
        return counts, await read_stream(f"{stream}-dead")

    counts, dead = run(scenario())
    assert flaky.outages == 0 and counts.retried > 0
    assert counts.stored == 4 and counts.dead_lettered == 0 and dead == []
    assert decision_counts(services) == Counter({f"u{i}": 1 for i in range(4)})


def test_stop_finishes_the_batch_in_hand_and_leaves_nothing_unacknowledged(
    nats_url: str, new_stream: Callable[[], str], services: Services
) -> None:
    stream = new_stream()

    async def scenario() -> tuple[Any, Any]:
        await publish_uploads(nats_url, f"{stream}.new", Uploads(count=30, prefix="s-"))
        worker = StreamWorker(services, options(nats_url, stream, idle_exit_s=None))
        task = asyncio.create_task(worker.run())
        while worker.counts.finished == 0 and not task.done():
            await asyncio.sleep(0.01)
        worker.stop()
        counts = await task
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().consumer_info(stream, "deepscreen")
        finally:
            await nc.close()
        return counts, info

    counts, info = run(scenario())
    assert 0 < counts.finished <= 30
    assert info.num_ack_pending == 0  # nothing fetched was left in flight
    assert info.num_pending == 30 - counts.finished  # the rest waits for the next worker
    assert sum(decision_counts(services).values()) == counts.stored


def test_uploads_named_by_file_uri_are_fetched_and_decided(
    nats_url: str,
    new_stream: Callable[[], str],
    read_stream: Any,
    services: Services,
    tmp_path: Any,
) -> None:
    stream, folder = new_stream(), tmp_path / "uploads"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.png").write_bytes(generated_png(3, 0, ai=True))
    (folder / "sub" / "b.png").write_bytes(generated_png(3, 1))
    (folder / "notes.txt").write_text("not an image")
    (folder / ".hidden.png").write_bytes(generated_png(3, 2))

    async def scenario() -> tuple[Any, Any, list[Any]]:
        uploads = Uploads(directory=folder, prefix="f-")
        published = await publish_uploads(nats_url, f"{stream}.new", uploads)
        counts = await StreamWorker(services, options(nats_url, stream)).run()
        return published, counts, await read_stream(f"{stream}-dead")

    published, counts, dead = run(scenario())
    assert published.acknowledged == 3  # the hidden file is skipped
    assert counts.stored == 2 and counts.dead_lettered == 1
    assert json.loads(dead[0].data)["uri"].endswith("/notes.txt")
    assert (dead[0].headers or {})["Deepscreen-Error-Code"] == "unsupported_media"
    actions = {d.item_id: d.action for d in services.store.decisions(limit=10)}
    assert actions == {"f-000000": Action.LABEL, "f-000002": Action.ALLOW}


def test_messages_stored_but_never_acknowledged_are_redelivered_and_absorbed(
    nats_url: str,
    new_stream: Callable[[], str],
    services: Services,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = new_stream()
    opts = options(nats_url, stream, ack_wait_s=1.0, idle_exit_s=4.0)

    async def lost(self: Any) -> None:  # the ack never reaches the broker (a crash after storing)
        return None

    async def scenario() -> tuple[Any, Any, Any]:
        await publish_uploads(nats_url, f"{stream}.new", Uploads(count=5, prefix="r-"))
        with monkeypatch.context() as patch:
            patch.setattr(Msg, "ack", lost)
            first = await StreamWorker(services, replace(opts, max_messages=5)).run()
        second = await StreamWorker(services, opts).run()
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().consumer_info(stream, "deepscreen")
        finally:
            await nc.close()
        return first, second, info

    first, second, info = run(scenario())
    assert first.stored == 5
    assert second.already_stored == 5 and second.stored == 0  # redelivered, not decided again
    assert info.num_ack_pending == 0 and info.num_pending == 0
    assert decision_counts(services) == Counter({f"r-{i:06d}": 1 for i in range(5)})
