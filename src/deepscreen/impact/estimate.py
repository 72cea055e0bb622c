"""Interval estimates for proportions (Wilson 95% by default), via statsmodels."""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint


@dataclass(frozen=True, slots=True)
class Rate:
    """``k`` of ``n``, its point estimate and a two-sided interval; ``value`` is None when n = 0."""

    k: int
    n: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    method: str = "wilson"
    confidence: float = 0.95

    def scaled(self, factor: float) -> tuple[float | None, float | None, float | None]:
        """(value, low, high) multiplied by ``factor`` (e.g. 10,000 for 'per 10k')."""
        if self.value is None or self.ci_low is None or self.ci_high is None:
            return None, None, None
        return self.value * factor, self.ci_low * factor, self.ci_high * factor


def wilson(k: int, n: int, *, confidence: float = 0.95) -> Rate:
    """Wilson score interval for k successes in n trials."""
    if not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k!r}, n={n!r}")
    if n == 0:
        return Rate(k, n, None, None, None, confidence=confidence)
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    return Rate(k, n, k / n, float(low), float(high), confidence=confidence)
