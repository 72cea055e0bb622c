"""Derived values: named helper expressions evaluated before the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.evaluate import evaluate, normalise_signals
from deepscreen.policy.explain import explain

POLICY = """
params: {t: 0.9}
derived:
  a_ai: "!signals.a.abstained && signals.a.score >= params.t"
  b_ai: "!signals.b.abstained && signals.b.score >= params.t"
  declared_ai: "derived.a_ai || derived.b_ai"
rules:
  - id: label_ai
    when: derived.declared_ai
    action: {type: label, label: ai}
default: {type: allow}
"""


def decide(tmp_path: Path, signals: dict) -> object:
    bundle = load_bundle(tmp_path, known_signals=["a", "b"])
    inputs = {"signals": normalise_signals(signals), "item": {}}
    return evaluate(
        bundle, inputs, item_id="i", decision_id="d", decided_at=datetime(2026, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize(
    ("signals", "action"),
    [
        ({"a": {"score": 1.0}, "b": {"abstained": True}}, Action.LABEL),
        ({"a": {"abstained": True}, "b": {"score": 0.95}}, Action.LABEL),
        ({"a": {"abstained": True}, "b": {"abstained": True}}, Action.ALLOW),
    ],
)
def test_rules_read_derived_values_when_defined(tmp_path, signals, action):
    (tmp_path / "p.yaml").write_text(POLICY)
    assert decide(tmp_path, signals).action is action


def test_derived_error_fails_safe_and_names_the_value(tmp_path):
    (tmp_path / "p.yaml").write_text(
        POLICY.replace(
            '"!signals.a.abstained && signals.a.score >= params.t"', '"signals.a.score >= params.t"'
        )
    )
    d = decide(tmp_path, {"a": {"abstained": True}, "b": {"abstained": True}})
    assert d.action is Action.REVIEW and d.rule_id == "derived.a_ai"
    assert "KeyError" in d.errors[0]


def test_forward_and_unknown_derived_references_are_refused(tmp_path):
    (tmp_path / "p.yaml").write_text(
        POLICY.replace('"derived.a_ai || derived.b_ai"', '"derived.later || derived.nope"')
        + "derived_extra: 1\n" * 0
    )
    with pytest.raises(BundleInvalid) as info:
        load_bundle(tmp_path)
    errors = "\n".join(info.value.errors)
    assert "derived declared_ai: unknown derived value 'later'" in errors
    assert "unknown derived value 'nope'" in errors


def test_explain_shows_derived_values(tmp_path):
    (tmp_path / "p.yaml").write_text(POLICY)
    e = explain(load_bundle(tmp_path), {"signals": {"a": {"score": 1.0}, "b": {"abstained": True}}})
    assert e.derived == {"a_ai": True, "b_ai": False, "declared_ai": True}
    assert e.to_dict()["derived"]["declared_ai"] is True
