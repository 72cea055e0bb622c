"""A review rule may name the action a reviewer's "violating" applies by default
(``violating_action``): recorded in the decision's parameters, refused anywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BundleInvalid
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.model import ActionSpec
from deepscreen.service.review_actions import bundle_actions

POLICY = """
rules:
  - id: review_news
    when: "has(item.category) && item.category == 'news'"
    action: {{type: review, queue: news, violating_action: {action}}}
  - id: label_rest
    when: "true"
    action: {{type: label, label: ai_generated}}
default: {{type: allow}}
"""


def test_a_review_rule_names_the_default_violating_action(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.format(action="downrank"))
    bundle = load_bundle(tmp_path)
    spec = bundle.rules[0].rule.action
    assert spec.violating_action is Action.DOWNRANK
    assert spec.params() == {"queue": "news", "violating_action": "downrank"}
    # the bundle applies label itself and downrank through its reviewers; review is no action
    assert bundle_actions(bundle) == (Action.LABEL, Action.DOWNRANK)


@pytest.mark.parametrize("action", ["allow", "review", "ban"])
def test_a_violating_action_must_restrict(tmp_path: Path, action: str) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY.format(action=action))
    with pytest.raises(BundleInvalid, match="violating_action"):
        load_bundle(tmp_path)


def test_only_review_actions_name_one() -> None:
    with pytest.raises(ValueError, match="only allowed on review actions"):
        ActionSpec(type=Action.LABEL, label="x", violating_action=Action.REMOVE)
    assert ActionSpec(type=Action.REVIEW).params() == {"queue": "default"}


def test_the_shipped_bundle_applies_label_and_remove() -> None:
    assert bundle_actions(load_bundle("default")) == (Action.LABEL, Action.REMOVE)
