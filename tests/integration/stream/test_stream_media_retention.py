"""The streaming worker against a real JetStream server keeps the media of uploads it sends to
review or actions, as ``deepscreen scan`` does, and none of allowed uploads."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import nats
import pytest

from deepscreen.bootstrap import build
from deepscreen.scale.publish import generated_png
from deepscreen.scale.stream import StreamOptions, StreamWorker
from deepscreen.service.scan import Services
from deepscreen.settings import load_settings

# id → (generator metadata, category): sent to review, labelled, allowed
UPLOADS = {"up-review": (True, "news"), "up-label": (True, "art"), "up-allow": (False, "news")}


@pytest.fixture
def services(tmp_path: Path) -> Iterator[Services]:
    media = {"backend": "local", "path": str(tmp_path / "kept"), "retention_days": 3}
    services = build(load_settings(None, db_url="memory://", media_store=media))
    yield services
    services.store.close()


async def publish(url: str, stream: str) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{stream}.>"])
        for index, (item_id, (ai, category)) in enumerate(UPLOADS.items()):
            data = base64.b64encode(generated_png(3, index, ai=ai)).decode()
            body = {"id": item_id, "data_b64": data, "category": category}
            await js.publish(f"{stream}.new", json.dumps(body).encode())
    finally:
        await nc.close()


def test_the_stream_worker_keeps_copies_of_reviewed_and_actioned_uploads(
    nats_url: str, new_stream: Callable[[], str], services: Services
) -> None:
    stream = new_stream()
    options = StreamOptions(url=nats_url, stream=stream, concurrency=2, idle_exit_s=1.5)

    async def scenario() -> Any:
        await publish(nats_url, stream)
        return await StreamWorker(services, options).run()

    counts = asyncio.run(asyncio.wait_for(scenario(), 120))
    assert counts.stored == 3 and counts.dead_lettered == 0
    actions = {d.item_id: d.action.value for d in services.store.decisions(limit=10)}
    assert actions == {"up-review": "review", "up-label": "label", "up-allow": "allow"}
    store = services.media.store
    assert store is not None
    kept = {m.item_id: m for m in store.records()}
    assert sorted(kept) == ["up-label", "up-review"]
    for index, item_id in enumerate(["up-review", "up-label"]):
        copy = store.get(item_id)
        assert copy is not None and copy[1] == generated_png(3, index, ai=True)
        decision = services.store.latest_decision(item_id)
        assert decision is not None
        assert kept[item_id].expires_at == decision.decided_at + timedelta(days=3)
