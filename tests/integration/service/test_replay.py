"""Counterfactual replay on scanned items: exact reproduction, targeted changes, read-only."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image, PngImagePlugin

from deepscreen.bootstrap import build, default_policy_dir
from deepscreen.core.clock import ManualClock
from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import DecisionMade, Event, ItemIngested, ReviewCompleted, Verdict
from deepscreen.core.media import MediaKind
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.service import Services, record_views, scan_bytes
from deepscreen.service.replay import (
    baseline_items,
    latest_revision,
    load_events,
    rebuild_inputs,
    replay,
    select_items,
)
from deepscreen.settings import load_settings
from deepscreen.store.events.memory import InMemoryEventStore

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
A1111 = "a cat\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 64x64"
HOUR = timedelta(hours=1)


def png(colour: tuple[int, int, int], parameters: str | None = None) -> bytes:
    info = PngImagePlugin.PngInfo()
    if parameters:
        info.add_text("parameters", parameters)
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


class WatchedStore(InMemoryEventStore):
    """Counts write attempts (replay must make none)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def append(self, events: Sequence[Event]) -> None:
        self.writes += 1
        super().append(events)

    def record_item(self, events: Sequence[Event], **options: Any) -> bool:
        self.writes += 1
        return super().record_item(events, **options)


def services(store: InMemoryEventStore, clock: ManualClock, policy: Path | None = None):
    ids = count()
    prefix = "c" if policy else "d"
    settings = load_settings(None, policy_dir=str(policy) if policy else None)
    return build(settings, store=store, clock=clock, new_id=lambda: f"{prefix}{next(ids)}")


@pytest.fixture
def scanned() -> tuple[Services, dict[str, str]]:
    """Five items, one an hour from T0, with views and one confirming human review:

    art1, art2: declared AI (metadata), category art → label_declared_ai
    news: declared AI, category news → review_declared_ai_sensitive; views 5 at decision
          time, 20 an hour later, 40 after the review (violating, 3 h after the decision)
    plain1, plain2: no declaration → allow (default)
    """
    clock = ManualClock(T0)
    svc = services(WatchedStore(), clock)
    specs = [
        ("art1", png((200, 10, 10), A1111), "art"),
        ("art2", png((10, 10, 200), A1111), "art"),
        ("news", png((10, 200, 10), A1111), "news"),
        ("plain1", png((50, 50, 50)), "art"),
        ("plain2", png((90, 90, 90)), "news"),
    ]
    ids = {}
    for i, (name, data, category) in enumerate(specs):
        clock.set(T0 + i * HOUR)
        outcome = scan_bytes(svc, data, source=f"{name}.png", attributes={"category": category})
        ids[name] = outcome.item_id
    news_at = T0 + 2 * HOUR
    record_views(
        svc,
        [
            (ids["news"], news_at, 5),
            (ids["news"], news_at + HOUR, 20),
            (ids["news"], news_at + 4 * HOUR, 40),
            (ids["art1"], T0 + HOUR, 7),
        ],
    )
    svc.store.append(
        [
            ReviewCompleted(
                item_id=ids["news"],
                occurred_at=news_at + 3 * HOUR,
                verdict=Verdict.VIOLATING,
                reviewer="alice",
                label="deepfake",
                action=Action.REMOVE,
            )
        ]
    )
    return svc, ids


def modified_policy(tmp_path: Path, **actions: dict[str, str] | None) -> Path:
    """A copy of the shipped policy with rules' actions replaced (None: rule deleted)."""
    directory = tmp_path / "candidate"
    shutil.copytree(default_policy_dir(), directory)
    (directory / "policy_test.yaml").unlink()
    path = directory / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    rules = []
    for rule in policy["rules"]:
        if rule["id"] in actions:
            if actions[rule["id"]] is None:
                continue
            rule["action"] = actions[rule["id"]]
        rules.append(rule)
    policy["rules"] = rules
    path.write_text(yaml.safe_dump(policy, sort_keys=False))
    return directory


def candidate(svc: Services, directory: Path) -> Bundle:
    return load_bundle(directory, known_signals=select_items(svc).signal_names)


def by_item(table) -> dict[str, dict]:
    return {row["item_id"]: row for row in table.to_pylist()}


def test_replaying_the_same_bundle_reproduces_the_stored_items(scanned) -> None:
    svc, ids = scanned
    result = select_items(svc).replay(svc.bundle)
    assert result.replayed == 5 and result.lacking_signals == 0
    assert result.candidate.schema == ITEM_SCHEMA
    assert result.candidate.equals(result.baseline)
    assert result.changed().num_rows == 0
    stored = {d.item_id: d.action.value for d in svc.store.decisions(limit=100)}
    assert by_item(result.candidate).keys() == stored.keys()
    assert {i: r["action"] for i, r in by_item(result.candidate).items()} == stored
    assert by_item(result.baseline)[ids["news"]]["views_before_action"] == 25


def test_label_to_remove_changes_exactly_the_labelled_items(scanned, tmp_path) -> None:
    svc, ids = scanned
    bundle = candidate(
        svc, modified_policy(tmp_path, label_declared_ai={"type": "remove", "reason": "ai"})
    )
    assert bundle.revision != svc.bundle.revision
    result = select_items(svc).replay(bundle)
    changed = by_item(result.changed())
    assert changed.keys() == {ids["art1"], ids["art2"]}
    assert {r["baseline_action"] for r in changed.values()} == {"label"}
    assert {r["candidate_action"] for r in changed.values()} == {"remove"}
    base, cand = by_item(result.baseline), by_item(result.candidate)
    art1 = cand[ids["art1"]]
    assert art1["policy_revision"] == bundle.revision and art1["rule_id"] == "label_declared_ai"
    assert art1["enforced_action"] == "remove" and art1["automated"]
    assert art1["decided_at"] == base[ids["art1"]]["decided_at"] == T0
    assert art1["views_before_action"] == 0  # its 7 views came an hour after the decision
    for name in ("news", "plain1", "plain2"):
        assert cand[ids[name]] == {**base[ids[name]], "policy_revision": bundle.revision}


def test_removing_at_decision_time_counts_only_earlier_views(scanned, tmp_path) -> None:
    svc, ids = scanned
    bundle = candidate(
        svc,
        modified_policy(tmp_path, review_declared_ai_sensitive={"type": "remove", "reason": "x"}),
    )
    result = select_items(svc).replay(bundle)
    base = by_item(result.baseline)[ids["news"]]
    cand = by_item(result.candidate)[ids["news"]]
    assert (base["action"], base["enforced_at"], base["views_before_action"]) == (
        "review",
        T0 + 5 * HOUR,  # the confirming human review
        25,
    )
    assert (cand["action"], cand["enforced_at"], cand["views_before_action"]) == (
        "remove",
        T0 + 2 * HOUR,  # the decision
        5,
    )
    assert cand["views_total"] == base["views_total"] == 65
    assert cand["violating"] is True and cand["reviewed_at"] == base["reviewed_at"]


def test_an_allowing_candidate_never_enforces(scanned, tmp_path) -> None:
    svc, ids = scanned
    directory = modified_policy(tmp_path, label_declared_ai=None, review_declared_ai_sensitive=None)
    result = select_items(svc).replay(candidate(svc, directory))
    cand = by_item(result.candidate)
    assert {r["action"] for r in cand.values()} == {"allow"}
    assert not any(r["enforced"] for r in cand.values())
    assert all(r["views_before_action"] is None for r in cand.values())
    assert cand[ids["news"]]["violating"] is True  # ground truth stays as recorded


def test_a_review_without_recorded_outcome_is_not_enforcement(scanned, tmp_path) -> None:
    svc, ids = scanned
    bundle = candidate(
        svc, modified_policy(tmp_path, label_declared_ai={"type": "review", "queue": "q"})
    )
    art1 = by_item(select_items(svc).replay(bundle).candidate)[ids["art1"]]
    assert art1["action"] == "review" and not art1["enforced"] and art1["enforced_at"] is None


def test_replay_writes_nothing(scanned, tmp_path) -> None:
    svc, _ = scanned
    before = list(svc.store.read_rows())
    writes = svc.store.writes
    bundle = candidate(
        svc, modified_policy(tmp_path, label_declared_ai={"type": "remove", "reason": "ai"})
    )
    replay(svc, bundle)
    baseline_items(svc.store)
    select_items(svc).replay(bundle)
    assert svc.store.writes == writes
    assert list(svc.store.read_rows()) == before


def test_replay_and_baseline_functions_align(scanned) -> None:
    svc, _ = scanned
    events = load_events(svc)
    base = baseline_items(events)
    cand = replay(events, svc.bundle)
    assert base.equals(cand) and base.num_rows == 5


def test_period_selects_items_by_ingestion_time(scanned) -> None:
    svc, ids = scanned
    selection = select_items(svc, since=T0 + HOUR, until=T0 + 3 * HOUR)
    assert {d.item_id for d in selection.decisions} == {ids["art2"], ids["news"]}
    assert selection.in_period == 2
    with pytest.raises(InvalidInput, match="no stored items were ingested"):
        select_items(svc, since=T0 + 10 * HOUR)
    with pytest.raises(InvalidInput, match="timezone-aware"):
        select_items(svc, since=datetime(2026, 3, 1))


def test_baseline_revision_restricts_the_items(scanned, tmp_path) -> None:
    svc, ids = scanned
    directory = modified_policy(tmp_path, label_declared_ai={"type": "remove", "reason": "ai"})
    clock = ManualClock(T0 + 10 * HOUR)
    other = services(svc.store, clock, policy=directory)
    later = scan_bytes(other, png((1, 2, 3), A1111), source="later.png")
    assert later.decision.action is Action.REMOVE
    assert latest_revision(svc) == other.bundle.revision
    old = select_items(svc, baseline_revision=svc.bundle.revision)
    assert len(old.decisions) == 5 and old.other_revisions == 1
    assert old.baseline_revisions == (svc.bundle.revision,)
    new = select_items(svc, baseline_revision=other.bundle.revision)
    assert [d.item_id for d in new.decisions] == [later.item_id]
    # the later item replayed under the old policy would only have been labelled
    replayed = new.replay(svc.bundle)
    assert replayed.candidate["action"].to_pylist() == ["label"]
    with pytest.raises(InvalidInput, match=r"r-nope.*revisions there"):
        select_items(svc, baseline_revision="r-nope")
    with pytest.raises(InvalidInput, match="decided by policy revision"):
        select_items(svc, baseline_revision=other.bundle.revision, until=T0 + 5 * HOUR)


def test_inputs_rebuilt_from_events_equal_the_recorded_inputs(scanned) -> None:
    svc, _ = scanned
    for decision in svc.store.decisions(limit=100):
        events = {e.type: e for e in svc.store.for_item(decision.item_id)}
        rows = {
            r[1]: r[4]
            for r in svc.store.read_rows()
            if r[2] == decision.item_id and r[1] in ("signals_computed", "item_ingested")
        }
        rebuilt = rebuild_inputs(rows["signals_computed"], rows["item_ingested"])
        assert json.loads(json.dumps(rebuilt)) == json.loads(json.dumps(decision.inputs))
        assert "decision_made" in events


def test_items_without_inputs_or_signals_are_counted_and_left_out(scanned) -> None:
    svc, ids = scanned
    at = T0 + 6 * HOUR
    bare = Decision(
        decision_id="bare",
        item_id="bare-item",
        policy_revision=svc.bundle.revision,
        rule_id=None,
        action=Action.ALLOW,
        decided_at=at,
    )
    svc.store.record_item(
        [
            ItemIngested(
                item_id="bare-item",
                occurred_at=at,
                kind=MediaKind.IMAGE,
                mime="image/png",
                width=1,
                height=1,
                size_bytes=1,
            ),
            DecisionMade(item_id="bare-item", occurred_at=at, decision=bare),
        ]
    )
    selection = select_items(svc)
    assert selection.lacking_signals == 1 and selection.in_period == 6
    assert "bare-item" not in {d.item_id for d in selection.decisions}
    assert selection.replay(svc.bundle).replayed == 5
    with pytest.raises(InvalidInput, match="can be replayed"):
        select_items(svc, since=at)


def test_an_empty_store_is_refused() -> None:
    with pytest.raises(InvalidInput, match="no stored items"):
        select_items(InMemoryEventStore())
    assert latest_revision(InMemoryEventStore()) is None
