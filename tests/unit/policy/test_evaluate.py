"""Pure evaluation: first match wins, default otherwise, errors fail safe to on_error."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deepscreen.core.decisions import Action
from deepscreen.core.signals import SignalResult
from deepscreen.policy.bundle import Bundle, load_bundle
from deepscreen.policy.evaluate import evaluate, signal_inputs
from deepscreen.policy.explain import explain

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = """
params: {t: 0.9, cats: [news]}
rules:
  - id: review_news
    when: >
      !signals.m.abstained && signals.m.score >= params.t
      && has(item.category) && item.category in params.cats
    action: {type: review, queue: synthetic}
  - id: label_ai
    when: "!signals.m.abstained && signals.m.score >= params.t"
    action: {type: label, label: ai_generated}
  - id: unguarded
    when: "signals.m.score < 0.1"
    action: {type: remove}
default: {type: allow}
"""


@pytest.fixture
def bundle(tmp_path: Path) -> Bundle:
    (tmp_path / "p.yaml").write_text(POLICY)
    return load_bundle(tmp_path, known_signals=["m"])


def decide(bundle: Bundle, results: list[SignalResult], item: dict[str, Any] | None = None):
    inputs = {"signals": signal_inputs(results), "item": item or {}}
    return evaluate(
        bundle,
        inputs,
        item_id="i1",
        decision_id="d1",
        decided_at=T0,
        detector_versions={r.detector: r.version for r in results},
    )


@pytest.mark.parametrize(
    ("score", "category", "action", "rule"),
    [
        (1.0, "news", Action.REVIEW, "review_news"),
        (1.0, "pets", Action.LABEL, "label_ai"),
        (0.5, "news", Action.ALLOW, None),
        (0.05, "pets", Action.REMOVE, "unguarded"),
    ],
)
def test_first_matching_rule_decides_when_scored(bundle, score, category, action, rule) -> None:
    d = decide(bundle, [SignalResult.scored("m", "1", score)], {"category": category})
    assert (d.action, d.rule_id) == (action, rule)
    assert d.policy_revision == bundle.revision
    assert d.detector_versions == {"m": "1"}
    assert d.inputs["signals"]["m"]["score"] == score


def test_action_params_are_recorded_when_rule_fires(bundle) -> None:
    d = decide(bundle, [SignalResult.scored("m", "1", 1.0)], {"category": "news"})
    assert d.action_params == {"queue": "synthetic"}


def test_error_fails_safe_to_on_error_when_unguarded_rule_reads_missing_score(bundle) -> None:
    d = decide(bundle, [SignalResult.abstain("m", "1", "nothing found")])
    assert d.action is Action.REVIEW
    assert d.action_params == {"queue": "policy_errors"}
    assert d.rule_id == "unguarded"
    assert d.errors and "unguarded" in d.errors[0]


def test_evaluate_is_deterministic_and_pure(bundle) -> None:
    results = [SignalResult.scored("m", "1", 0.95)]
    assert decide(bundle, results) == decide(bundle, results)


def test_explain_traces_every_rule_and_names_winner(bundle) -> None:
    e = explain(bundle, {"signals": {"m": {"score": 1.0}}, "item": {"category": "news"}})
    assert [t.rule_id for t in e.traces] == ["review_news", "label_ai", "unguarded"]
    assert [t.outcome.value for t in e.traces] == ["matched", "matched", "not_matched"]
    assert e.winner == "review_news" and e.action == "review"


def test_non_bool_when_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "rules: [{id: r, when: '1 + 1', action: {type: remove}}]\ndefault: {type: allow}\n"
    )
    d = decide(load_bundle(tmp_path), [])
    assert d.action is Action.REVIEW and "not a bool" in d.errors[0]
