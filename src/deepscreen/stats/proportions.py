"""Proportions: Wilson or Clopper–Pearson intervals with the rule of three at k = 0, and
``Interval``, the result type of every estimator here (docs/internals/stats.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from deepscreen.stats.resampling import check_confidence

ProportionMethod = Literal["wilson", "clopper_pearson"]

RULE_OF_THREE = "rule_of_three"


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided interval; all three are None when nothing was observed.

    ``n`` is the sample size the estimate rests on (items, not views); ``method`` names the
    interval: ``wilson``, ``clopper_pearson``, ``rule_of_three`` (k = 0: one-sided upper bound),
    ``bootstrap_percentile`` or ``bootstrap_exact_percentile``.
    """

    value: float | None
    low: float | None
    high: float | None
    n: int
    method: str

    def to_dict(self) -> dict[str, Any]:
        """Every field by name, in order (a subclass's fields follow)."""
        return asdict(self)

    def scaled(self, factor: float) -> Interval:
        """The same interval with value and bounds multiplied by ``factor`` (e.g. 10,000)."""

        def mul(x: float | None) -> float | None:
            return None if x is None else x * factor

        return replace(self, value=mul(self.value), low=mul(self.low), high=mul(self.high))


def proportion_bounds(
    k: ArrayLike,
    n: ArrayLike,
    *,
    method: ProportionMethod = "wilson",
    confidence: float = 0.95,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Vectorised ``(value, low, high)`` of k successes in n trials (NaN where n = 0).

    ``k`` and ``n`` broadcast and may be non-integer (effective counts). At k = 0 < n the bounds
    are the rule of three ``[0, 1 − (1 − confidence)^(1/n)]``.
    """
    alpha = check_confidence(confidence)
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(n, np.float64))
    if np.any(~np.isfinite(k_arr)) or np.any(~np.isfinite(n_arr)):
        raise ValueError("k and n must be finite")
    tolerance = 1e-9 * np.maximum(n_arr, 1.0)
    if np.any(k_arr < 0) or np.any(k_arr > n_arr + tolerance):
        raise ValueError("need 0 <= k <= n")
    k_arr = np.minimum(k_arr, n_arr)
    positive = n_arr > 0
    safe_n = np.where(positive, n_arr, 1.0)
    value = np.where(positive, k_arr / safe_n, np.nan)
    if method == "wilson":
        z = float(stats.norm.ppf(1.0 - alpha / 2.0))
        denominator = safe_n + z * z
        centre = (k_arr + z * z / 2.0) / denominator
        spread = k_arr * (safe_n - k_arr) / safe_n + z * z / 4.0
        half = z * np.sqrt(np.maximum(spread, 0.0)) / denominator
        low, high = centre - half, centre + half
    elif method == "clopper_pearson":
        with np.errstate(invalid="ignore", divide="ignore"):
            low = np.where(
                k_arr > 0,
                stats.beta.ppf(alpha / 2.0, np.maximum(k_arr, 1e-300), safe_n - k_arr + 1),
                0,
            )
            high = np.where(
                k_arr < safe_n,
                stats.beta.ppf(1.0 - alpha / 2.0, k_arr + 1, np.maximum(safe_n - k_arr, 1e-300)),
                1.0,
            )
    else:
        raise ValueError(f"unknown proportion method {method!r}")
    zero = positive & (k_arr == 0)
    low = np.where(zero, 0.0, low)
    high = np.where(zero, 1.0 - alpha ** (1.0 / safe_n), high)
    low = np.where(positive, np.clip(low, 0.0, value), np.nan)
    high = np.where(positive, np.clip(high, value, 1.0), np.nan)
    return value, low, high


def proportion(
    k: int, n: int, *, method: ProportionMethod = "wilson", confidence: float = 0.95
) -> Interval:
    """k successes in n trials: Wilson (or Clopper–Pearson) interval; rule of three at k = 0."""
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise ValueError(f"k and n must be integers, got k={k!r}, n={n!r}")
    k, n = int(k), int(n)
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    value, low, high = proportion_bounds(k, n, method=method, confidence=confidence)
    if n == 0:
        return Interval(None, None, None, 0, method)
    name = RULE_OF_THREE if k == 0 else method
    return Interval(float(value), float(low), float(high), n, name)


def rate_per(
    k: int,
    n: int,
    per: float = 10_000,
    *,
    method: ProportionMethod = "wilson",
    confidence: float = 0.95,
) -> Interval:
    """``proportion(k, n)`` scaled to a rate per ``per`` (prevalence per 10,000 by default)."""
    return proportion(k, n, method=method, confidence=confidence).scaled(per)
