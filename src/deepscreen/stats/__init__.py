"""One statistics package for every caller: proportions, bootstraps, quantiles, paired
differences and design-based (weighted) estimates. Notes: docs/internals/stats.md."""

from __future__ import annotations

from deepscreen.stats.bootstrap import (
    BOOTSTRAP,
    BOOTSTRAP_EXACT,
    bootstrap_mean,
    bootstrap_ratio,
    paired_bootstrap_sums,
    stratified_indices,
)
from deepscreen.stats.paired import Difference, NamedStatistic, paired_bootstrap_diff
from deepscreen.stats.proportions import (
    RULE_OF_THREE,
    Interval,
    ProportionMethod,
    proportion,
    proportion_bounds,
    rate_per,
)
from deepscreen.stats.quantiles import (
    QuantileMethod,
    bootstrap_quantile,
    interpolate_order_statistics,
    interpolated_quantile,
    quantile_interval_ranks,
    quantile_ranks,
)
from deepscreen.stats.resampling import Seed

__all__ = [
    "BOOTSTRAP",
    "BOOTSTRAP_EXACT",
    "RULE_OF_THREE",
    "Difference",
    "Interval",
    "NamedStatistic",
    "ProportionMethod",
    "QuantileMethod",
    "Seed",
    "bootstrap_mean",
    "bootstrap_quantile",
    "bootstrap_ratio",
    "interpolate_order_statistics",
    "interpolated_quantile",
    "paired_bootstrap_diff",
    "paired_bootstrap_sums",
    "proportion",
    "proportion_bounds",
    "quantile_interval_ranks",
    "quantile_ranks",
    "rate_per",
    "stratified_indices",
]
