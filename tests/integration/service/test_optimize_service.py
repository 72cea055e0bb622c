"""Candidate bundles: written from the thresholds bundle, loaded, and passing their own tests."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import InvalidInput, PolicyError, ResultFileInvalid
from deepscreen.core.events import (
    DecisionMade,
    Event,
    ItemIngested,
    ReviewCompleted,
    SignalsComputed,
    Verdict,
    ViewsObserved,
)
from deepscreen.core.media import MediaKind
from deepscreen.core.signals import SignalResult
from deepscreen.impact.optimize_inputs import OptimizationRefused
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.testing import run_policy_tests
from deepscreen.service.optimize import (
    GENERATED_TESTS,
    default_thresholds_dir,
    expected_action,
    optimization_document,
    optimize_policy,
    threshold_params,
    threshold_tests,
    write_candidate_bundle,
)
from deepscreen.service.optimize_file import parse_optimization
from deepscreen.signals.registry import discover
from deepscreen.store.events.memory import InMemoryEventStore

KNOWN = [*discover(), "ensemble"]
T0 = datetime(2026, 5, 1, tzinfo=UTC)
SHIPPED_DEFAULT = default_thresholds_dir().parent / "default"


def test_the_shipped_thresholds_bundle_declares_the_contract() -> None:
    params = threshold_params(default_thresholds_dir())
    assert list(params) == ["remove", "label", "review"]
    assert {p.name for p in params.values()} == {
        "remove_min_score",
        "label_min_score",
        "review_min_score",
    }
    assert all(p.max == 1.0 and p.min == 0.01 for p in params.values())
    bundle = load_bundle(default_thresholds_dir(), known_signals=KNOWN)
    default = load_bundle(SHIPPED_DEFAULT, known_signals=KNOWN)
    # the provenance rules of the default bundle come first, unchanged (its pixel- and
    # face-score rules are the ensemble's job here)
    statistical = {"review_likely_ai_pixels", "review_likely_face_manipulation"}
    provenance = tuple(r for r in default.rule_ids if r not in statistical)
    assert bundle.rule_ids[: len(provenance)] == provenance
    report = run_policy_tests(default_thresholds_dir(), known_signals=KNOWN)
    assert report.ok and report.uncovered == ()


def test_shipped_boundary_tests_are_the_generated_ones() -> None:
    params = threshold_params(default_thresholds_dir())
    text = (default_thresholds_dir() / GENERATED_TESTS).read_text()
    assert text == threshold_tests({a: p.value for a, p in params.items()})


def test_default_bundle_has_no_threshold_params() -> None:
    with pytest.raises(PolicyError, match="declares no threshold params"):
        threshold_params(SHIPPED_DEFAULT)


def test_candidate_is_written_loads_and_passes_its_tests(tmp_path: Path) -> None:
    out = tmp_path / "candidate"
    candidate = write_candidate_bundle(
        default_thresholds_dir(),
        out,
        {"remove": 0.9, "label_min_score": 0.6, "review": 0.3},
        known_signals=KNOWN,
    )
    assert candidate.ok, [r.message for r in candidate.tests.results if r.status != "PASS"]
    assert candidate.tests.uncovered == ()
    bundle = load_bundle(out, known_signals=KNOWN)
    assert bundle.params["remove_min_score"] == 0.9
    assert bundle.params["label_min_score"] == 0.6
    assert bundle.params["review_min_score"] == 0.3
    assert bundle.revision == candidate.revision != candidate.base_revision
    assert dict(candidate.changes) == {
        "remove_min_score": (0.97, 0.9),
        "label_min_score": (0.8, 0.6),
        "review_min_score": (0.5, 0.3),
    }
    text = (out / "policy.yaml").read_text()
    assert text.startswith("# Candidate written by deepscreen from bundle 'thresholds'")
    assert "# A threshold policy on the combined score" in text  # comments kept
    base_text = (default_thresholds_dir() / "policy.yaml").read_text()
    changed = [
        (a, b) for a, b in zip(base_text.splitlines(), text.splitlines()[1:], strict=True) if a != b
    ]
    assert changed == [
        ("    value: 0.97", "    value: 0.9"),
        ("    value: 0.8", "    value: 0.6"),
        ("    value: 0.5", "    value: 0.3"),
    ]
    assert (out / "policy_test.yaml").read_text() == (
        default_thresholds_dir() / "policy_test.yaml"
    ).read_text()
    assert "label_at_score_0.6" in (out / GENERATED_TESTS).read_text()


def test_thresholds_turned_off_still_pass(tmp_path: Path) -> None:
    candidate = write_candidate_bundle(
        default_thresholds_dir(),
        tmp_path / "c",
        {"remove": 1.0, "label": 0.7, "review": 0.7},
        known_signals=KNOWN,
    )
    assert candidate.ok
    assert set(candidate.tests.uncovered) == {"remove_high_score", "review_uncertain_score"}
    cases = yaml.safe_load((tmp_path / "c" / GENERATED_TESTS).read_text())
    assert {c["name"]: c["expect"]["action"] for c in cases} == {
        "label_at_score_1.0": "label",
        "label_at_score_0.7": "label",
        f"allow_at_score_{math.nextafter(0.7, 0.0)!r}": "allow",
    }


def test_the_candidate_tests_catch_a_bundle_that_breaks_the_contract(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    for name in ("policy.yaml", "policy_test.yaml"):
        text = (default_thresholds_dir() / name).read_text()
        # a bundle whose remove rule acts above the threshold, not at it
        text = text.replace(
            "&& signals.ensemble.score >= params.remove_min_score",
            "&& signals.ensemble.score > params.remove_min_score",
        )
        (base / name).write_text(text)
    candidate = write_candidate_bundle(base, tmp_path / "c", {"remove": 0.9}, known_signals=KNOWN)
    assert not candidate.ok
    failed = [r.name for r in candidate.tests.results if r.status != "PASS"]
    assert failed == ["remove_at_score_0.9"]


def test_refusals(tmp_path: Path) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x.txt").write_text("mine")
    with pytest.raises(InvalidInput, match="not an empty directory"):
        write_candidate_bundle(default_thresholds_dir(), busy, {"remove": 0.9})
    with pytest.raises(InvalidInput, match="outside"):
        write_candidate_bundle(default_thresholds_dir(), tmp_path / "a", {"remove": 0.0})
    with pytest.raises(InvalidInput, match="not a threshold param"):
        write_candidate_bundle(default_thresholds_dir(), tmp_path / "b", {"downrank": 0.5})
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_expected_action_bands() -> None:
    t = {"remove": 0.9, "label": 0.6, "review": 0.3}
    assert [expected_action(s, t) for s in (1.0, 0.9, 0.7, 0.6, 0.5, 0.3, 0.1)] == [
        "remove",
        "remove",
        "label",
        "label",
        "review",
        "review",
        "allow",
    ]
    assert expected_action(0.95, {"remove": 1.0, "label": 0.9}) == "label"


def scanned(
    item_id: str, score: float, verdict: Verdict | None, views: int, day: int
) -> list[Event]:
    at = T0 + timedelta(days=day)
    decision = Decision(f"d-{item_id}", item_id, "r-base", None, Action.ALLOW, at)
    events: list[Event] = [
        ItemIngested(
            item_id=item_id,
            occurred_at=at,
            kind=MediaKind.IMAGE,
            mime="image/png",
            width=1,
            height=1,
            size_bytes=1,
            attributes={"category": "news"},
        ),
        SignalsComputed(
            item_id=item_id,
            occurred_at=at,
            results=(SignalResult.scored("ensemble", "1", score),),
        ),
        DecisionMade(item_id=item_id, occurred_at=at, decision=decision),
        ViewsObserved(item_id=item_id, occurred_at=at + timedelta(hours=1), views=views),
    ]
    if verdict is not None:
        events.append(
            ReviewCompleted(
                item_id=item_id,
                occurred_at=at + timedelta(hours=2),
                verdict=verdict,
                reviewer="label-import:truth.csv",
            )
        )
    return events


V, N = Verdict.VIOLATING, Verdict.NOT_VIOLATING
COSTS = {
    "review_cost_per_item": 1.0,
    "wrongful_action_cost": {"remove": 10.0, "label": 4.0},
    "harm_per_violating_view": {"default": 0.1},
}


@pytest.fixture
def store() -> InMemoryEventStore:
    store = InMemoryEventStore()
    rows = [
        ("a", 0.95, V, 100),
        ("b", 0.85, V, 100),
        ("c", 0.7, N, 100),
        ("d", 0.55, V, 30),
        ("e", 0.4, N, 30),
        ("f", 0.2, N, 10),
        ("g", 0.6, None, 10),
    ]
    for n, (item_id, score, verdict, views) in enumerate(rows):
        store.append(scanned(item_id, score, verdict, views, day=n % 2))
    return store


def test_optimize_policy_from_a_store(store: InMemoryEventStore, tmp_path: Path) -> None:
    result = optimize_policy(
        store,
        COSTS,
        base_dir=default_thresholds_dir(),
        out_dir=tmp_path / "cand",
        known_signals=KNOWN,
    )
    optimum, candidate = result.optimum, result.candidate
    assert (optimum.labelled, optimum.scored) == (6, 7)
    assert candidate.ok
    chosen = dict(optimum.chosen.thresholds)
    bundle = load_bundle(tmp_path / "cand", known_signals=KNOWN)
    assert {a: bundle.params[f"{a}_min_score"] for a in chosen} == chosen
    assert optimum.baseline is not None
    assert optimum.chosen.expected_cost <= optimum.baseline.expected_cost
    assert all(t >= 0.01 for t in chosen.values())
    assert result.to_dict()["candidate"]["tests"]["summary"]["fail"] == 0


def test_optimize_policy_constraints_bind(store: InMemoryEventStore, tmp_path: Path) -> None:
    result = optimize_policy(
        store,
        COSTS,
        base_dir=default_thresholds_dir(),
        out_dir=tmp_path / "cand",
        max_fpr=0.0,
        review_capacity_per_day=0.5,
        known_signals=KNOWN,
    )
    chosen = result.optimum.chosen
    assert chosen.false_positive_rate == 0.0 and chosen.review_per_day <= 0.5
    assert result.candidate.ok


def test_optimize_policy_refuses_before_writing(tmp_path: Path) -> None:
    with pytest.raises(OptimizationRefused, match="no scored labelled items"):
        optimize_policy(
            InMemoryEventStore(),
            COSTS,
            base_dir=default_thresholds_dir(),
            out_dir=tmp_path / "cand",
            known_signals=KNOWN,
        )
    assert not (tmp_path / "cand").exists()


def test_the_result_file_is_written_and_read_by_one_schema(
    store: InMemoryEventStore, tmp_path: Path
) -> None:
    result = optimize_policy(
        store, COSTS, base_dir=default_thresholds_dir(), out_dir=tmp_path / "c", known_signals=KNOWN
    )
    document = optimization_document(result)
    assert parse_optimization(document, "opt.json") == document
    assert document["frontier"] == result.optimum.to_dict()["frontier"]
    broken = {**document, "chosen": {**document["chosen"], "expected_cost": "a lot"}}
    with pytest.raises(ResultFileInvalid, match=r"opt.json: not a threshold optimisation result"):
        parse_optimization(broken, "opt.json")
    with pytest.raises(ResultFileInvalid, match=r"chosen.expected_cost: Input should be"):
        parse_optimization(broken, "opt.json")
