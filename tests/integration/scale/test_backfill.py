"""Backfills: every engine decides the same corpus identically; an interrupted run resumes
with nothing lost or duplicated; bad rows and bad media are reported, not fatal."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build, open_store
from deepscreen.core.events import DecisionMade
from deepscreen.scale.backfill import run_backfill
from deepscreen.scale.engines import EngineKind, make_engine
from deepscreen.scale.manifest import read_manifest
from deepscreen.settings import load_settings

A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def corpus(directory: Path, n: int) -> Path:
    """``n`` distinct images (every third with generator metadata, every fifth in 'news'), one
    file that is not an image, and a bad manifest line; returns the JSONL manifest."""
    media = directory / "media"
    media.mkdir(parents=True)
    rng = np.random.default_rng(0)
    lines = []
    for i in range(n):
        pixels = rng.integers(0, 255, (24, 32, 3), dtype=np.uint8)
        info = PngImagePlugin.PngInfo()
        if i % 3 == 0:
            info.add_text("parameters", A1111)
        buf = io.BytesIO()
        Image.fromarray(pixels).save(buf, "PNG", pnginfo=info)
        (media / f"{i:03d}.png").write_bytes(buf.getvalue())
        category = "news" if i % 5 == 0 else "pets"
        lines.append({"id": f"item-{i:03d}", "uri": f"media/{i:03d}.png", "category": category})
    (media / "broken.png").write_bytes(b"not an image")
    lines.append({"id": "item-broken", "uri": "media/broken.png"})
    text = "\n".join(json.dumps(line) for line in lines) + "\n{bad line\n"
    (directory / "manifest.jsonl").write_text(text)
    return directory / "manifest.jsonl"


def decisions(db_url: str) -> list[tuple[str, str, str | None, str]]:
    store = open_store(db_url)
    try:
        found = [
            (e.item_id, e.decision.action.value, e.decision.rule_id, e.decision.policy_revision)
            for e in store.read(kinds={"decision_made"})
            if isinstance(e, DecisionMade)
        ]
    finally:
        store.close()
    return sorted(found)


def backfill(tmp_path: Path, manifest: Path, kind: EngineKind, workers: int = 2) -> str:
    url = f"sqlite:///{tmp_path / f'{kind.value}.db'}"
    settings = load_settings(None, db_url=url)
    services = build(settings)
    engine = make_engine(kind, settings, workers=workers, services=services)
    try:
        tally = run_backfill(services, read_manifest(str(manifest)), engine, batch_size=16)
    finally:
        engine.close()
        services.store.close()
    assert (tally.stored, tally.already_stored, tally.failed) == (40, 0, 2)
    assert {s.rsplit("/", 1)[-1] for s, _ in tally.failures} == {
        "broken.png",
        "manifest.jsonl:42",
    }
    return url


@pytest.fixture(autouse=True)
def _no_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_serial_local_and_ray_engines_decide_identically(tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the ray extra is not installed")
    manifest = corpus(tmp_path / "corpus", 40)
    results = {kind: decisions(backfill(tmp_path, manifest, kind)) for kind in EngineKind}
    reference = results[EngineKind.SERIAL]
    assert len(reference) == 40
    assert Counter(action for _, action, _, _ in reference) == Counter(
        {"allow": 26, "label": 11, "review": 3}
    )
    assert results[EngineKind.LOCAL] == reference
    assert results[EngineKind.RAY] == reference


def test_a_second_run_stores_nothing_new(tmp_path: Path) -> None:
    manifest = corpus(tmp_path / "corpus", 40)
    url = backfill(tmp_path, manifest, EngineKind.SERIAL)
    settings = load_settings(None, db_url=url)
    services = build(settings)
    engine = make_engine(EngineKind.SERIAL, settings, workers=1, services=services)
    try:
        tally = run_backfill(services, read_manifest(str(manifest)), engine, batch_size=7)
    finally:
        services.store.close()
    assert (tally.stored, tally.already_stored, tally.failed) == (0, 40, 2)
    assert len(decisions(url)) == 40


def test_a_killed_backfill_resumes_with_nothing_lost_or_duplicated(tmp_path: Path) -> None:
    manifest = corpus(tmp_path / "corpus", 40)
    url = f"sqlite:///{tmp_path / 'killed.db'}"
    command = [
        sys.executable, "-c", "from deepscreen.cli.app import main; main()",
        "scan", "--manifest", str(manifest),
        "--engine", "local", "--workers", "2", "--batch-size", "4", "--db", url,
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert first.stdout is not None
    seen = 0
    deadline = time.monotonic() + 120
    while seen < 12 and time.monotonic() < deadline:
        line = first.stdout.readline()
        if not line:
            break
        seen += json.loads(line)["status"] == "stored"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    first.stdout.close()
    stored_before = decisions(url)
    assert 12 <= len(stored_before) < 40, "the kill must land mid-run"
    second = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 1, second.stderr  # the two bad rows
    statuses = Counter(json.loads(line)["status"] for line in second.stdout.splitlines())
    assert statuses["already_stored"] == len(stored_before)
    assert statuses["stored"] == 40 - len(stored_before)
    final = decisions(url)
    assert len(final) == 40 and len({item for item, *_ in final}) == 40
    assert set(stored_before) <= set(final)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--manifest", "m.jsonl", "some/path"], "not both"),
        (["--manifest", "m.jsonl", "--attr", "category=news"], "manifest carries"),
        (["--manifest", "m.jsonl", "--engine", "ray", "--batch-size", "8"], "at least 16"),
        ([], "or --manifest"),
    ],
)
def test_bad_backfill_command_lines_are_usage_errors(args: list[str], message: str) -> None:
    from typer.testing import CliRunner

    from deepscreen.cli.app import app

    result = CliRunner().invoke(app, ["scan", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_a_manifest_in_an_unknown_format_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from deepscreen.cli.app import app

    (tmp_path / "m.csv").write_text("id,uri\n")
    result = CliRunner().invoke(
        app, ["scan", "--manifest", str(tmp_path / "m.csv"), "--engine", "serial"]
    )
    assert result.exit_code != 0
    assert ".jsonl, .ndjson or .parquet" in " ".join(result.output.split())
