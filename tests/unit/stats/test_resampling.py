"""The pieces the estimators share: argument checks, replicate batches, percentile bounds."""

from __future__ import annotations

import numpy as np
import pytest

from deepscreen.stats.bootstrap import percentile_if_enough
from deepscreen.stats.resampling import (
    batches,
    check_confidence,
    check_replicates,
    finite_quantiles,
    two_sided,
)


def test_batches_cover_every_replicate_once_in_bounded_batches() -> None:
    assert list(batches(10, 3, 9)) == [(0, 3), (3, 3), (6, 3), (9, 1)]
    assert list(batches(5, 100, 10)) == [(i, 1) for i in range(5)]  # at least one per batch
    assert list(batches(4, 0, 10)) == [(0, 4)]
    assert list(batches(0, 3)) == []


def test_checks() -> None:
    assert check_confidence(0.9) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="level must be in"):
        check_confidence(1.0, name="level")
    assert check_replicates(0, minimum=0) == 0
    for bad in (0, -1, True, 2.0):
        with pytest.raises(ValueError, match="n_boot"):
            check_replicates(bad)  # type: ignore[arg-type]


def test_percentile_bounds_skip_non_finite_replicates() -> None:
    values = np.array([np.nan, 1.0, 2.0, 3.0, np.inf, 4.0, 5.0])
    assert finite_quantiles(values, two_sided(0.5)) == (2.0, 4.0)
    assert finite_quantiles(np.array([np.nan]), two_sided(0.05)) is None
    # learn's rule: no interval unless at least half the replicates are finite
    assert percentile_if_enough(values, 10, 0.5) == (2.0, 4.0)
    assert percentile_if_enough(values, 11, 0.5) == (None, None)
    assert percentile_if_enough(values, 0, 0.5) == (None, None)
