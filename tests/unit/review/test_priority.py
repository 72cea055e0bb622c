"""Review priority: p × severity × predicted views ÷ handling minutes, inputs by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deepscreen.core.decisions import Action, Decision
from deepscreen.core.errors import ConfigError
from deepscreen.review.config import PriorityConfig
from deepscreen.review.priority import (
    harm_averted_per_minute,
    priority_inputs,
    wrongful_views_per_minute,
)

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
CONFIG = PriorityConfig(
    score_signals=("ensemble", "learned"),
    prior_probability=0.3,
    segment_attribute="category",
    severity_by_segment={"politics": 4.0},
    default_severity=1.0,
    handling_minutes_by_kind={"image": 2.0, "video": 8.0},
    default_handling_minutes=5.0,
    default_predicted_views=100.0,
)


def decision(signals: dict[str, object], item: dict[str, object]) -> Decision:
    inputs = {"signals": signals, "item": item}
    return Decision("d1", "i1", "rev", "review_rule", Action.REVIEW, T0, inputs=inputs)


def test_priority_is_expected_harm_averted_per_review_minute() -> None:
    d = decision(
        {"ensemble": {"abstained": False, "score": 0.8}},
        {"kind": "video", "category": "politics"},
    )
    inputs = priority_inputs(d, CONFIG, views_so_far=2000)
    assert (inputs.probability, inputs.probability_from) == (0.8, "ensemble")
    assert (inputs.severity, inputs.predicted_views, inputs.handling_minutes) == (4.0, 2000, 8.0)
    assert harm_averted_per_minute(inputs) == pytest.approx(0.8 * 4.0 * 2000 / 8.0)
    assert wrongful_views_per_minute(inputs) == pytest.approx(0.2 * 2000 / 8.0)


def test_probability_when_first_signal_abstains_comes_from_the_next() -> None:
    d = decision(
        {"ensemble": {"abstained": True}, "learned": {"abstained": False, "score": 0.6}}, {}
    )
    inputs = priority_inputs(d, CONFIG, views_so_far=None)
    assert (inputs.probability, inputs.probability_from) == (0.6, "learned")


@pytest.mark.parametrize(
    "signals",
    [
        {},
        {"metadata": {"abstained": False, "score": 1.0}},  # not a configured score signal
        {"ensemble": {"abstained": False, "score": 1.7}},  # not a probability
        {"ensemble": {"abstained": False, "score": "high"}},
        {"ensemble": {"abstained": False, "score": True}},
        {"ensemble": "garbage"},
    ],
)
def test_probability_when_no_score_signal_scored_is_the_prior(signals: dict[str, object]) -> None:
    inputs = priority_inputs(decision(signals, {}), CONFIG, views_so_far=None)
    assert (inputs.probability, inputs.probability_from) == (0.3, "prior")


def test_defaults_when_segment_kind_and_views_are_unknown() -> None:
    inputs = priority_inputs(decision({}, {"category": "sport"}), CONFIG, views_so_far=None)
    assert (inputs.severity, inputs.handling_minutes) == (1.0, 5.0)
    assert (inputs.predicted_views, inputs.views_observed) == (100.0, False)
    assert harm_averted_per_minute(inputs) == pytest.approx(0.3 * 1.0 * 100 / 5.0)


def test_observed_views_replace_the_default_even_when_zero() -> None:
    inputs = priority_inputs(decision({}, {}), CONFIG, views_so_far=0)
    assert (inputs.predicted_views, inputs.views_observed) == (0.0, True)
    assert harm_averted_per_minute(inputs) == 0.0


def test_more_views_higher_severity_and_faster_handling_raise_priority() -> None:
    base = priority_inputs(decision({}, {"kind": "video"}), CONFIG, views_so_far=10)
    viral = priority_inputs(decision({}, {"kind": "video"}), CONFIG, views_so_far=1000)
    severe = priority_inputs(
        decision({}, {"kind": "video", "category": "politics"}), CONFIG, views_so_far=10
    )
    quick = priority_inputs(decision({}, {"kind": "image"}), CONFIG, views_so_far=10)
    score = harm_averted_per_minute
    assert score(viral) > score(base) and score(severe) > score(base) and score(quick) > score(base)


def test_inputs_round_trip_as_a_plain_dict() -> None:
    inputs = priority_inputs(decision({}, {"kind": "image"}), CONFIG, views_so_far=5)
    assert inputs.to_dict()["kind"] == "image" and inputs.to_dict()["predicted_views"] == 5.0


@pytest.mark.parametrize(
    "bad",
    [
        {"prior_probability": 1.5},
        {"default_handling_minutes": 0.0},
        {"handling_minutes_by_kind": {"image": -1.0}},
        {"severity_by_segment": {"news": -2.0}},
    ],
)
def test_config_refuses_values_that_make_no_priority(bad: dict[str, object]) -> None:
    fields = {name: getattr(CONFIG, name) for name in PriorityConfig.__dataclass_fields__}
    with pytest.raises(ConfigError):
        PriorityConfig(**{**fields, **bad})  # type: ignore[arg-type]
