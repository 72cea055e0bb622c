"""The ensemble: declared provenance dominates; otherwise vote or stack, with a band."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepscreen.core.errors import ConfigError
from deepscreen.core.signals import SignalResult
from deepscreen.signals.ensemble import Ensemble, StackModel, load_stack


def scored(name: str, score: float) -> SignalResult:
    return SignalResult.scored(name, "1", score)


def abstained(name: str) -> SignalResult:
    return SignalResult.abstain(name, "1", "cannot tell")


def test_declared_ai_dominates_a_confident_real_statistical_score() -> None:
    result = Ensemble().combine([scored("c2pa", 1.0), scored("learned", 0.01)])
    assert result.score == 1.0
    assert result.evidence["basis"] == "provenance"
    assert result.evidence["verdict"] == "declared_ai"


def test_declared_capture_dominates_but_ai_wins_over_capture() -> None:
    capture = Ensemble().combine([scored("c2pa", 0.0), scored("learned", 0.99)])
    assert capture.score == 0.0 and capture.evidence["verdict"] == "declared_capture"
    both = Ensemble().combine([scored("c2pa", 0.0), scored("metadata", 1.0)])
    assert both.score == 1.0 and "metadata" in both.evidence["summary"]


def test_provenance_abstentions_leave_the_statistical_vote() -> None:
    results = [abstained("c2pa"), abstained("watermark"), scored("learned", 0.8)]
    result = Ensemble().combine(results)
    assert result.score == pytest.approx(0.8) and result.evidence["basis"] == "vote"


def test_vote_is_the_trust_weighted_mean() -> None:
    ensemble = Ensemble(trust={"learned": 3.0, "vendor": 1.0, "ignored": 0.0})
    result = ensemble.combine(
        [scored("learned", 0.9), scored("vendor", 0.1), scored("ignored", 1.0)]
    )
    assert result.score == pytest.approx((3 * 0.9 + 0.1) / 4)
    assert result.evidence["detectors"]["ignored"]["weight"] == 0.0


@pytest.mark.parametrize(
    ("score", "verdict"),
    [(0.9, "likely_ai"), (0.5, "inconclusive"), (0.35, "inconclusive"), (0.1, "likely_real")],
)
def test_band_gives_the_verdict(score: float, verdict: str) -> None:
    result = Ensemble(band=(0.35, 0.65)).combine([scored("learned", score)])
    assert result.evidence["verdict"] == verdict


def test_nothing_scored_and_nothing_declared_abstains_never_real() -> None:
    result = Ensemble().combine([abstained("c2pa"), abstained("learned")])
    assert result.abstained and "nothing declared" in (result.abstain_reason or "")


def test_stacked_uses_scores_and_abstentions() -> None:
    stack = StackModel(("learned", "vendor"), (4.0, 2.0), (0.0, -1.0), -3.0)
    ensemble = Ensemble(method="stacked", stack=stack)
    result = ensemble.combine([scored("learned", 0.9), abstained("vendor")])
    # z = -3 + 4*0.9 + 2*0.5 + (-1)*1 = 0.6
    assert result.score == pytest.approx(1 / (1 + 2.718281828459045**-0.6))
    assert result.evidence["basis"] == "stacked"
    none = ensemble.combine([abstained("learned"), abstained("vendor")])
    assert none.abstained


def test_stack_round_trips_and_bad_files_are_config_errors(tmp_path: Path) -> None:
    stack = StackModel(("learned",), (1.0,), (0.5,), 0.1, {"items": 3})
    path = tmp_path / "stack.json"
    path.write_text(json.dumps(stack.to_dict()))
    assert load_stack(path) == stack
    path.write_text('{"format": "deepscreen.stack/1", "detectors": ["a"], "coef_score": []}')
    with pytest.raises(ConfigError, match="not a valid deepscreen stack"):
        load_stack(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_stack(tmp_path / "none.json")


@pytest.mark.parametrize(
    "kwargs",
    [{"band": (0.7, 0.3)}, {"band": (-0.1, 0.5)}, {"trust": {"x": -1.0}}, {"method": "stacked"}],
)
def test_invalid_ensembles_are_config_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        Ensemble(**kwargs)  # type: ignore[arg-type]
