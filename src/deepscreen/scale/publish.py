"""Test uploads for demos and benchmarks: upload records (generated PNGs inline, or files of a
directory) published to a NATS JetStream subject, each with its platform id as ``Nats-Msg-Id``
and its publish time for end-to-end latency (docs/internals/scale.md)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nats.errors
import numpy as np
from nats.js.api import PubAck
from PIL import Image, PngImagePlugin

from deepscreen.core.errors import InvalidInput
from deepscreen.scale.jetstream import (
    JetStreamContext,
    connect,
    ensure_stream,
    stream_for_subject,
)

A1111 = "a photo of a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
ATTEMPTS = 3


def generated_png(seed: int, index: int, *, side: int = 64, ai: bool = False) -> bytes:
    """A small PNG of seeded noise, distinct for each (seed, index)."""
    rng = np.random.default_rng([seed, index])
    pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
    info = PngImagePlugin.PngInfo()
    if ai:
        info.add_text("parameters", A1111)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


def is_ai(index: int, share: float) -> bool:
    """Spread ``share`` of the indices evenly (0.25: every fourth)."""
    return int((index + 1) * share) > int(index * share)


def files_in(directory: Path) -> list[Path]:
    """Files under ``directory`` (recursive, hidden ones skipped), sorted."""
    if not directory.is_dir():
        raise InvalidInput(f"{directory}: not a directory")
    return sorted(
        p
        for p in directory.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(directory).parts)
    )


@dataclass(frozen=True)
class Uploads:
    """What to publish: ``count`` generated images, or the files of ``directory``."""

    count: int | None = None  # None: 100 generated, or every file of the directory
    directory: Path | None = None
    prefix: str = ""  # default: a fresh "pub-<8 hex>-" per run
    seed: int = 0
    side: int = 64
    ai_share: float = 0.25
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def messages(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, record) pairs, generated lazily."""
        prefix = self.prefix or f"pub-{uuid.uuid4().hex[:8]}-"
        if self.directory is not None:
            files = files_in(self.directory)
            for index, path in enumerate(files[: self.count]):
                yield f"{prefix}{index:06d}", {"uri": path.resolve().as_uri()}
            return
        for index in range(100 if self.count is None else self.count):
            data = generated_png(self.seed, index, side=self.side, ai=is_ai(index, self.ai_share))
            yield f"{prefix}{index:06d}", {"data_b64": base64.b64encode(data).decode()}


@dataclass
class Published:
    subject: str
    stream: str
    published: int = 0
    acknowledged: int = 0
    duplicates: int = 0  # acknowledged, but JetStream already had that Nats-Msg-Id
    failed: int = 0
    seconds: float = 0.0
    ids: list[str] = field(default_factory=list)  # acknowledged ids, in order

    def as_dict(self, *, with_ids: bool = False) -> dict[str, Any]:
        out = asdict(self)
        if not with_ids:
            out.pop("ids")
        return out


async def publish_uploads(
    url: str,
    subject: str,
    uploads: Uploads,
    *,
    stream: str | None = None,
    rate: float | None = None,
) -> Published:
    """Publish ``uploads`` on ``subject`` (``rate`` messages/s at most), waiting for each
    JetStream acknowledgement. The stream storing the subject is used; if there is none,
    ``stream`` (default: the subject's first token) is created with subjects ``<stream>.>``."""
    nc = await connect(url, name="deepscreen-publish")
    try:
        js = nc.jetstream()
        holder = await stream_for_subject(js, subject)
        if holder is None:
            holder = stream or subject.split(".", 1)[0]
            await ensure_stream(js, holder, [f"{holder}.>"])
        report = Published(subject, holder)
        start = time.monotonic()
        for index, (item_id, record) in enumerate(uploads.messages()):
            if rate:
                await asyncio.sleep(max(0.0, start + index / rate - time.monotonic()))
            attributes = {**uploads.attributes, "published_at_ns": time.time_ns()}
            payload = json.dumps({"id": item_id, **record, "attributes": attributes}).encode()
            report.published += 1
            ack = await _publish(js, subject, payload, item_id)
            if ack is None:
                report.failed += 1
                continue
            report.acknowledged += 1
            report.duplicates += int(bool(ack.duplicate))
            report.ids.append(item_id)
        report.seconds = time.monotonic() - start
        return report
    finally:
        await nc.close()


async def _publish(
    js: JetStreamContext, subject: str, payload: bytes, msg_id: str
) -> PubAck | None:
    for attempt in range(ATTEMPTS):
        try:
            return await js.publish(subject, payload, headers={"Nats-Msg-Id": msg_id})
        except nats.errors.Error:
            if attempt + 1 == ATTEMPTS:
                return None
            await asyncio.sleep(0.5 * (attempt + 1))
    return None
