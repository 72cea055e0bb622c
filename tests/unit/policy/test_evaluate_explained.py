"""``evaluate_explained``: the decision ``evaluate`` makes and the explanation ``explain``
gives, from one evaluation — for matches, errors, derived-value errors and the default."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.evaluate import evaluate, normalise_signals
from deepscreen.policy.explain import evaluate_explained, explain

POLICY = """
params: {t: 0.9}
derived:
  a_hi: "signals.a.score >= params.t"
rules:
  - id: first_on_b
    when: "!signals.b.abstained && signals.b.score >= params.t"
    action: {type: remove}
  - id: then_on_a
    when: "!signals.a.abstained && derived.a_hi"
    action: {type: label, label: ai}
  - id: divides
    when: "1 / int(signals.b.score) > 0"
    action: {type: downrank}
  - id: late
    when: "!signals.a.abstained && signals.a.score > 0.5"
    action: {type: age_gate}
default: {type: allow}
"""

CASES = {
    "first rule matches": {"a": {"score": 0.95}, "b": {"score": 0.99}},
    "second rule matches": {"a": {"score": 0.95}, "b": {"score": 0.1}},
    "a rule errors (division by zero)": {"a": {"score": 0.6}, "b": {"score": 0.2}},
    "a derived value errors": {"a": {"abstained": True}, "b": {"score": 0.2}},
    "default": {"a": {"score": 0.1}, "b": {"score": 1.0}},
}
WHEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("signals", CASES.values(), ids=CASES.keys())
def test_one_evaluation_gives_the_decision_and_the_explanation_of_two(tmp_path: Path, signals):
    (tmp_path / "p.yaml").write_text(POLICY)
    bundle = load_bundle(tmp_path, known_signals=["a", "b"])
    inputs = {"signals": normalise_signals(signals), "item": {"kind": "image"}}
    ids = {"item_id": "i", "decision_id": "d", "decided_at": WHEN}

    decision, explanation = evaluate_explained(bundle, inputs, **ids)

    assert decision == evaluate(bundle, inputs, **ids)
    assert explanation == explain(bundle, decision.inputs)
    assert explanation.action == decision.action.value


def test_the_explanation_traces_every_rule_past_the_winner(tmp_path: Path):
    (tmp_path / "p.yaml").write_text(POLICY)
    bundle = load_bundle(tmp_path, known_signals=["a", "b"])
    inputs = {"signals": normalise_signals(CASES["first rule matches"]), "item": {}}
    decision, explanation = evaluate_explained(
        bundle, inputs, item_id="i", decision_id="d", decided_at=WHEN
    )
    assert decision.rule_id == explanation.winner == "first_on_b"
    outcomes = {t.rule_id: t.outcome.value for t in explanation.traces}
    assert outcomes == {
        "first_on_b": "matched",
        "then_on_a": "matched",
        "divides": "error",  # int(0.99) is 0: an error after the winner changes nothing
        "late": "matched",
    }
