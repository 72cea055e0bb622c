"""Shadow policies: a candidate revision decides live beside the active one; its decisions are
recorded (``ShadowDecisionMade``), never applied, and ``impact compare --shadow`` compares them
— giving exactly what replaying the same candidate on the stored inputs gives."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import pytest
import yaml
from PIL import Image, PngImagePlugin
from typer.testing import CliRunner

from deepscreen.bootstrap import build, default_policy_dir
from deepscreen.cli.app import app
from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import ConfigError, InvalidInput
from deepscreen.core.events import DecisionMade, ShadowDecisionMade
from deepscreen.service import Services, scan_bytes
from deepscreen.service.replay import select_items
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore
from deepscreen.store.events.sql import SqlEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def removing_candidate(tmp_path: Path) -> Path:
    """The shipped policy with declared-AI labels turned into removals."""
    directory = tmp_path / "candidate"
    shutil.copytree(default_policy_dir(), directory)
    (directory / "policy_test.yaml").unlink()
    path = directory / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    for rule in policy["rules"]:
        if rule["id"] == "label_declared_ai":
            rule["action"] = {"type": "remove", "reason": "ai"}
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return directory


def scan_five(svc: Services, clock: ManualClock) -> dict[str, str]:
    specs = [
        ("art1", png((200, 10, 10), A1111), "art"),
        ("art2", png((10, 10, 200), A1111), "art"),
        ("news", png((10, 200, 10), A1111), "news"),
        ("plain1", png((50, 50, 50)), "art"),
        ("plain2", png((90, 90, 90)), "news"),
    ]
    ids = {}
    for i, (name, data, category) in enumerate(specs):
        clock.set(T0 + i * timedelta(hours=1))
        outcome = scan_bytes(svc, data, source=f"{name}.png", attributes={"category": category})
        ids[name] = outcome.item_id
    return ids


@pytest.fixture
def shadowed(tmp_path: Path) -> tuple[Services, dict[str, str], Path]:
    clock = ManualClock(T0)
    ids = count()
    candidate = removing_candidate(tmp_path)
    settings = load_settings(
        None, db_url=f"sqlite:///{tmp_path / 'banks.db'}", shadow_policy_dirs=[str(candidate)]
    )
    svc = build(settings, store=InMemoryEventStore(), clock=clock, new_id=lambda: f"d{next(ids)}")
    return svc, scan_five(svc, clock), candidate


def test_shadow_decisions_are_recorded_and_never_applied(shadowed) -> None:
    svc, ids, _ = shadowed
    (shadow,) = svc.shadow_bundles
    assert shadow.revision != svc.bundle.revision
    events = svc.store.for_item(ids["art1"])
    active = [e for e in events if isinstance(e, DecisionMade)]
    shadows = [e for e in events if isinstance(e, ShadowDecisionMade)]
    assert [e.decision.action.value for e in active] == ["label"]
    assert [e.decision.action.value for e in shadows] == ["remove"]
    assert shadows[0].decision.policy_revision == shadow.revision
    assert shadows[0].decision.inputs == active[0].decision.inputs  # the same inputs
    # the read model and the impact item table only know the active decision
    assert svc.store.latest_decision(ids["art1"]).action.value == "label"
    assert {d.policy_revision for d in svc.store.decisions(limit=100)} == {svc.bundle.revision}
    baseline = select_items(svc).baseline()
    assert set(baseline["policy_revision"].to_pylist()) == {svc.bundle.revision}


def test_comparing_shadow_decisions_equals_replaying_the_candidate(shadowed) -> None:
    svc, ids, _ = shadowed
    (shadow,) = svc.shadow_bundles
    selection = select_items(svc)
    live = selection.shadow(shadow.revision)
    replayed = selection.replay(shadow)
    assert live.source == "shadow" and live.without_shadow == 0 and live.replayed == 5
    assert live.baseline.equals(replayed.baseline)
    assert live.candidate.drop_columns(["policy_revision"]).equals(
        replayed.candidate.drop_columns(["policy_revision"])
    )
    assert set(live.candidate["policy_revision"].to_pylist()) == {shadow.revision}
    assert {r["item_id"] for r in live.changed().to_pylist()} == {ids["art1"], ids["art2"]}


def test_items_decided_before_the_shadow_started_are_left_out(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    store = InMemoryEventStore()
    ids = count()
    db = f"sqlite:///{tmp_path / 'banks.db'}"
    plain = build(
        load_settings(None, db_url=db), store=store, clock=clock, new_id=lambda: f"p{next(ids)}"
    )
    clock.set(T0 - timedelta(days=1))
    scan_bytes(plain, png((1, 2, 3), A1111), source="before.png", attributes={"category": "art"})
    settings = load_settings(
        None, db_url=db, shadow_policy_dirs=[str(removing_candidate(tmp_path))]
    )
    svc = build(settings, store=store, clock=clock, new_id=lambda: f"s{next(ids)}")
    scan_five(svc, clock)
    live = select_items(svc).shadow(svc.shadow_bundles[0].revision)
    assert live.replayed == 5 and live.without_shadow == 1
    with pytest.raises(InvalidInput, match="no.*shadow decision of revision 'r-nope'"):
        select_items(svc).shadow("r-nope")


def test_a_shadow_equal_to_the_active_policy_is_refused(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        db_url=f"sqlite:///{tmp_path / 'banks.db'}",
        shadow_policy_dirs=[str(default_policy_dir())],
    )
    with pytest.raises(ConfigError, match="same as the active policy"):
        build(settings, store=InMemoryEventStore())


def test_impact_compare_shadow_from_the_command_line(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'deepscreen.db'}"
    clock = ManualClock(T0)
    ids = count()
    candidate = removing_candidate(tmp_path)
    settings = load_settings(None, db_url=db, shadow_policy_dirs=[str(candidate)])
    store = SqlEventStore(db)
    svc = build(settings, store=store, clock=clock, new_id=lambda: f"d{next(ids)}")
    scan_five(svc, clock)
    revision = svc.shadow_bundles[0].revision
    store.close()
    out = tmp_path / "compare.json"
    runner = CliRunner()
    result = runner.invoke(
        app, ["impact", "compare", "--shadow", revision, "--db", db, "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "(shadow: decisions recorded" in result.output
    report = json.loads(out.read_text())
    assert report["candidate_source"] == "shadow" and report["candidate_revision"] == revision
    assert report["items_replayed"] == 5 and report["items_changed"] == 2
    both = runner.invoke(
        app, ["impact", "compare", str(candidate), "--shadow", revision, "--db", db]
    )
    assert both.exit_code == 2 and "one of them" in both.output
