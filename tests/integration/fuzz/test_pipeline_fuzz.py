"""Hostile bytes through the whole scan pipeline: a decision or a typed InvalidInput, nothing else.

Seeds are real fixtures (made here, plus ../shared/testdata when present); hypothesis mutates
them — byte flips, truncation, spliced garbage, huge XMP packets, PNG chunk bombs — and every
run must end in a recorded decision or a typed error, with nothing half-written.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput
from deepscreen.service import scan_bytes
from deepscreen.settings import load_settings
from deepscreen.signals.learned.detector import LearnedDetector
from deepscreen.signals.registry import discover, load_detectors
from deepscreen.signals.testing import toy_head
from deepscreen.store.events.memory import InMemoryEventStore

TESTDATA = Path(__file__).resolve().parents[3].parent / "shared" / "testdata"
A1111 = "cat\nNegative prompt: dog\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/'
    b'trainedAlgorithmicMedia"/></rdf:RDF></x:xmpmeta>'
)


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


@cache
def seeds() -> tuple[bytes, ...]:
    made = []
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", A1111)
    for fmt, options in (
        ("PNG", {"pnginfo": info}),
        ("JPEG", {"xmp": XMP}),
        ("WEBP", {}),
        ("GIF", {}),
    ):
        buf = io.BytesIO()
        Image.new("RGB", (40, 30), (120, 30, 200)).save(buf, fmt, **options)
        made.append(buf.getvalue())
    if TESTDATA.is_dir():  # real generator and C2PA files, when the shared folder is beside us
        for path in sorted(TESTDATA.rglob("*")):
            if path.suffix.lower() in {".png", ".jpg"} and 0 < path.stat().st_size < 400_000:
                made.append(path.read_bytes())
    return tuple(made)


@cache
def services():
    detectors = load_detectors(
        sorted(set(discover()) - {"vendor"}),  # no API to call here
        instances={"learned": LearnedDetector(toy_head())},  # random weights: plumbing only
    )
    return build(
        load_settings(None),
        store=InMemoryEventStore(),
        detectors=detectors,
        clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)),
    )


def mutate(data: bytes, edits: list[tuple[int, int]], cut: int | None, splice: bytes) -> bytes:
    out = bytearray(data)
    for pos, value in edits:
        out[pos % len(out)] = value
    if cut is not None:
        out = out[: max(1, cut % len(out))]
    return bytes(out) + splice


def hostile_tails() -> st.SearchStrategy[bytes]:
    xmp_flood = b"<x:xmpmeta>" + b"Iptc4xmpExt:DigitalSourceType=" * 50_000 + b"</x:xmpmeta>"
    bomb = png_chunk(b"zTXt", b"parameters\0\0" + zlib.compress(b"A" * 20_000_000))
    huge_len = struct.pack(">I", 0x7FFFFFF0) + b"caBX" + b"\0" * 16  # a JUMBF-ish box lying
    return st.sampled_from([b"", xmp_flood, bomb, huge_len, b"\xff\xd8\xff\xe1\xff\xff"])


def check(data: bytes) -> None:
    svc = services()
    try:
        outcome = scan_bytes(svc, data, source="fuzz")
    except InvalidInput:
        return
    events = svc.store.for_item(outcome.item_id)
    assert [e.type for e in events] == ["item_ingested", "signals_computed", "decision_made"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(min_value=0),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), max_size=8),
    cut=st.none() | st.integers(min_value=0),
    tail=hostile_tails(),
)
def test_mutated_media_gives_decision_or_typed_error(seed, edits, cut, tail) -> None:
    base = seeds()[seed % len(seeds())]
    check(mutate(base, edits, cut, tail))


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096))
def test_random_bytes_give_decision_or_typed_error(data: bytes) -> None:
    check(data)
