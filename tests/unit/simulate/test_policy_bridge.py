"""The simulator runs the real bundle: same decisions as evaluating each item, far fewer calls."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from deepscreen.bootstrap import default_policy_dir
from deepscreen.policy.bundle import load_bundle
from deepscreen.policy.evaluate import evaluate, signal_inputs
from deepscreen.simulate.policy_bridge import ACTIONS, PolicyBridge

DEFAULT_SIGNALS = ["c2pa", "hashmatch", "metadata", "watermark"]
CATEGORIES = ["food", "news", "politics"]


@pytest.fixture(scope="module")
def default_bundle():
    return load_bundle(default_policy_dir(), known_signals=DEFAULT_SIGNALS)


@pytest.fixture(scope="module")
def thresholds_bundle():
    from importlib.resources import as_file, files
    from pathlib import Path

    with as_file(files("deepscreen.policies") / "thresholds") as path:
        return load_bundle(Path(path), known_signals=[*DEFAULT_SIGNALS, "ensemble"])


def test_shipped_policy_labels_declared_ai_and_reviews_it_in_sensitive_categories(
    default_bundle,
) -> None:
    bridge = PolicyBridge(default_bundle, CATEGORIES, signal_names=DEFAULT_SIGNALS)
    decisions = bridge.decide(np.array([0, 1, 2, 0]), np.array([True, True, True, False]))
    assert list(decisions.action_names()) == ["label", "review", "review", "allow"]
    assert decisions.rules[decisions.rule[0]] == "label_declared_ai"
    assert decisions.rules[decisions.rule[3]] is None  # the default
    assert decisions.evaluations == 4


def test_a_million_items_need_one_evaluation_per_distinct_input(thresholds_bundle) -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    bridge = PolicyBridge(
        thresholds_bundle, CATEGORIES, signal_names=[*DEFAULT_SIGNALS, "ensemble"], quantum=0.01
    )
    category = rng.integers(0, 3, n)
    declared = rng.random(n) < 0.01
    score = rng.random(n)
    decisions = bridge.decide(category, declared, score)
    assert decisions.action.shape == (n,)
    assert decisions.evaluations <= 3 * 2 * 101
    # spot-check against evaluating single items the production way
    for index in rng.choice(n, 50, replace=False):
        results = bridge._signals(bool(declared[index]), round(float(score[index]), 2))
        inputs = {
            "signals": signal_inputs(results),
            "item": {
                "id": "x",
                "kind": "image",
                "mime": "image/jpeg",
                "width": 1024,
                "height": 768,
                "size_bytes": 250_000,
                "category": CATEGORIES[category[index]],
            },
        }
        expected = evaluate(
            thresholds_bundle,
            inputs,
            item_id="x",
            decision_id="x",
            decided_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
        assert ACTIONS[decisions.action[index]] == expected.action.value


def test_higher_scores_never_get_a_milder_action_under_the_thresholds_bundle(
    thresholds_bundle,
) -> None:
    severity = {"allow": 0, "review": 1, "label": 2, "remove": 3}
    bridge = PolicyBridge(thresholds_bundle, ["food"], signal_names=[*DEFAULT_SIGNALS, "ensemble"])
    scores = np.linspace(0.01, 1.0, 200)
    names = bridge.decide(np.zeros(200, int), np.zeros(200, bool), scores).action_names()
    ranks = [severity[name] for name in names]
    assert ranks == sorted(ranks)


def test_pending_scores_abstain(thresholds_bundle) -> None:
    bridge = PolicyBridge(thresholds_bundle, ["food"], signal_names=[*DEFAULT_SIGNALS, "ensemble"])
    pending = bridge.decide(np.array([0]), np.array([False]), None)
    assert list(pending.action_names()) == ["allow"]


def test_invalid_arguments(default_bundle) -> None:
    with pytest.raises(ValueError):
        PolicyBridge(default_bundle, CATEGORIES, quantum=0.5)
    bridge = PolicyBridge(default_bundle, CATEGORIES, signal_names=DEFAULT_SIGNALS)
    with pytest.raises(ValueError, match="align"):
        bridge.decide(np.array([0, 1]), np.array([True]))
