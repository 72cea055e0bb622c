"""Core types: invariants of signal results and actions."""

from __future__ import annotations

import math

import pytest

from deepscreen.core.decisions import Action
from deepscreen.core.errors import BundleInvalid, CorruptMedia, DeepscreenError, InvalidInput
from deepscreen.core.events import ViewsObserved
from deepscreen.core.media import content_item_id
from deepscreen.core.signals import SignalResult


@pytest.mark.parametrize("score", [-0.01, 1.01, math.nan])
def test_scored_result_is_refused_when_score_outside_unit_interval(score: float) -> None:
    with pytest.raises(ValueError, match="outside"):
        SignalResult.scored("d", "1", score)


def test_abstention_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        SignalResult("d", "1", None, None)
    result = SignalResult.abstain("d", "1", "nothing found")
    assert result.abstained and result.score is None


def test_only_enforcement_actions_count_as_enforcement() -> None:
    assert {a for a in Action if a.is_enforcement} == {
        Action.LABEL,
        Action.DOWNRANK,
        Action.AGE_GATE,
        Action.REMOVE,
    }


def test_content_item_id_is_sha256_of_bytes() -> None:
    assert content_item_id(b"abc") == (
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_negative_views_are_refused() -> None:
    with pytest.raises(ValueError):
        ViewsObserved(item_id="x", occurred_at=None, views=-1)  # type: ignore[arg-type]


def test_error_tree_names_source_and_lists_bundle_errors() -> None:
    err = CorruptMedia("a.jpg", "truncated")
    assert isinstance(err, InvalidInput) and isinstance(err, DeepscreenError)
    assert str(err) == "a.jpg: truncated" and err.source == "a.jpg"
    bundle = BundleInvalid("p", ["one", "two"])
    assert bundle.errors == ("one", "two") and "2 errors" in str(bundle)
