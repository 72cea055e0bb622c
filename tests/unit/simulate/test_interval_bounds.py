"""Replication intervals stay inside the range their quantity can take."""

from __future__ import annotations

import numpy as np
import pytest

from deepscreen.simulate.replicate import interval, summary_bounds


def test_a_small_count_never_gets_a_negative_lower_bound() -> None:
    stopped = np.array([0.0, 0.0, 1.0, 0.0, 1.0])  # viral deepfakes stopped per replication
    unclipped = interval(stopped)
    assert unclipped["ci_low"] is not None and unclipped["ci_low"] < 0  # what it used to print
    clipped = interval(stopped, bounds=summary_bounds("viral_deepfakes_stopped"))
    assert clipped["ci_low"] == 0.0 and clipped["ci_high"] == unclipped["ci_high"]
    assert clipped["value"] == pytest.approx(0.4)


def test_a_rate_near_one_never_gets_an_upper_bound_over_one() -> None:
    recall = np.array([1.0, 0.9, 1.0, 1.0])
    got = interval(recall, bounds=summary_bounds("recall_any_action"))
    assert got["ci_high"] == 1.0 and 0.0 <= got["ci_low"] <= got["value"]  # type: ignore[operator]


def test_bounds_follow_the_metric_kind() -> None:
    assert summary_bounds("precision_remove") == (0.0, 1.0)
    assert summary_bounds("false_positive_rate_any_action") == (0.0, 1.0)
    assert summary_bounds("violating_per_10k_uploads") == (0.0, None)
    assert summary_bounds("cost_review_labour") == (0.0, None)
    assert summary_bounds("views_prevented") == (0.0, None)
