"""Coverage-guided fuzzing (atheris / libFuzzer) of the whole scan pipeline on one byte string.

Every input must end in a recorded decision or a typed ``InvalidInput``; anything else — an
untyped exception, a crash, a hang caught by ``-timeout`` — is a finding. Seeds: the
provenance fixtures of docs/examples (C2PA, watermark, generator metadata), made on the spot.

    .venv/bin/python fuzz/scan_bytes_fuzzer.py -atheris_runs=20000 -timeout=10 [CORPUS_DIR]
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["deepscreen"]):
    from deepscreen.bootstrap import build
    from deepscreen.core.clock import ManualClock
    from deepscreen.core.errors import InvalidInput
    from deepscreen.service import scan_bytes
    from deepscreen.settings import load_settings
    from deepscreen.signals.learned.detector import LearnedDetector
    from deepscreen.signals.registry import discover, load_detectors
    from deepscreen.signals.testing import toy_head
    from deepscreen.store.events.memory import InMemoryEventStore

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "write_provenance_fixtures.py"
SERVICES = build(
    load_settings(None),
    store=InMemoryEventStore(),
    detectors=load_detectors(
        sorted(set(discover()) - {"vendor"}),  # no external API to call while fuzzing
        instances={"learned": LearnedDetector(toy_head())},  # random weights: exercises the path
    ),
    clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)),
)


def test_one_input(data: bytes) -> None:
    try:
        outcome = scan_bytes(SERVICES, data, source="fuzz")
    except InvalidInput:
        return
    kinds = [e.type for e in SERVICES.store.for_item(outcome.item_id)]
    if kinds != ["item_ingested", "signals_computed", "decision_made"]:
        raise AssertionError(f"half-written item: {kinds}")


def seed_corpus() -> str:
    spec = importlib.util.spec_from_file_location("fixtures", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    corpus = tempfile.mkdtemp(prefix="deepscreen-fuzz-")
    module.main(Path(corpus))
    return corpus


if __name__ == "__main__":
    args = sys.argv[:]
    if not any(not a.startswith("-") for a in args[1:]):
        args.append(seed_corpus())
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()
