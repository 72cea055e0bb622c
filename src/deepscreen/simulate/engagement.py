"""Engagement: each item's lifetime views and their timing (the "lognormal peak" model), and the
views before, after and prevented by a moderation action, in closed form.
Model, rationale and limits: docs/internals/simulate.md."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "Engagement",
    "ViewsOutcome",
    "draw_engagement",
    "fraction_by",
    "stopped_before_viral",
    "viral_crossing_hours",
    "views_outcome",
]


@dataclass(frozen=True, eq=False)
class Engagement:
    """Per-item engagement parameters (aligned 1-D float64 arrays) and the curve width.

    ``total``: lifetime views ``V`` (≥ 0, float). ``t_half``: hours after upload to half of
    ``V`` (> 0). ``half_sigma``: within-item spread of view times in log-hours (> 0), shared by
    all items. ``eq=False``: instances compare by identity (arrays have no single truth value).
    """

    total: np.ndarray
    t_half: np.ndarray
    half_sigma: float

    def __post_init__(self) -> None:
        if self.total.ndim != 1 or self.total.shape != self.t_half.shape:
            raise ValueError(
                "total and t_half must be 1-D arrays of the same length, got shapes "
                f"{self.total.shape} and {self.t_half.shape}"
            )
        if not (math.isfinite(self.half_sigma) and self.half_sigma > 0):
            raise ValueError(f"half_sigma must be finite and > 0, got {self.half_sigma!r}")

    def __len__(self) -> int:
        return int(self.total.size)


@dataclass(frozen=True, eq=False)
class ViewsOutcome:
    """Per-item views around one moderation action (float arrays; round only to report).

    ``before``: views before the action, ``V·F(a)`` (views before action, VBA). ``after``:
    realised views after it, ``V·(1 − F(a))·(1 − d)``. ``prevented``: ``V·(1 − F(a))·d``.
    ``realised``: ``before + after``, and exactly ``V`` where nothing is prevented (never
    acting, or damping 0).
    """

    before: np.ndarray
    after: np.ndarray
    prevented: np.ndarray
    realised: np.ndarray


def draw_engagement(
    rng: np.random.Generator,
    n: int,
    *,
    violating: np.ndarray,
    views_median: float,
    views_sigma: float,
    violating_views_multiplier: float,
    half_views_hours_median: float,
    half_views_sigma: float,
    curve_sigma: float | None = None,
) -> Engagement:
    """Draw ``n`` items' lifetime views and time to half their views (docs/internals/simulate.md).

    ``violating`` is a bool array of length ``n``. Medians and the multiplier must be > 0,
    sigmas ≥ 0 (0 makes the draw deterministic); ``curve_sigma`` (the ``half_sigma`` of the
    result) must be > 0 and defaults to ``half_views_sigma``. Consumes ``2n`` normal draws
    whatever the parameters, so scenarios differing only in parameters see the same randomness.
    """
    violating = np.asarray(violating)
    if violating.dtype != np.bool_ or violating.shape != (n,):
        raise ValueError(
            f"violating must be a bool array of shape ({n},), got {violating.dtype} "
            f"{violating.shape}"
        )
    _check_positive(
        views_median=views_median,
        violating_views_multiplier=violating_views_multiplier,
        half_views_hours_median=half_views_hours_median,
    )
    _check_non_negative(views_sigma=views_sigma, half_views_sigma=half_views_sigma)
    if curve_sigma is None:  # half_views_sigma is then also the width of the peak
        _check_positive(half_views_sigma=half_views_sigma)
        curve_sigma = half_views_sigma
    _check_positive(curve_sigma=curve_sigma)

    log_total = rng.standard_normal(n)
    log_total *= views_sigma
    log_total += math.log(views_median)
    log_total[violating] += math.log(violating_views_multiplier)
    log_half = rng.standard_normal(n)
    log_half *= half_views_sigma
    log_half += math.log(half_views_hours_median)
    total = np.exp(log_total, out=log_total)
    t_half = np.exp(log_half, out=log_half)
    total.setflags(write=False)
    t_half.setflags(write=False)
    return Engagement(total=total, t_half=t_half, half_sigma=float(curve_sigma))


def fraction_by(engagement: Engagement, hours: np.ndarray | float) -> np.ndarray:
    """``F(hours)``: each item's share of lifetime views seen by ``hours`` after its upload.

    ``hours`` broadcasts against the items (a scalar or one value per item); ``0`` at
    ``hours ≤ 0``, ``1`` at ``np.inf``, exactly ``0.5`` at ``t_half``; NaN is refused.
    """
    fraction: np.ndarray = ndtr(_standardised_log_hours(engagement, hours))
    return fraction


def views_outcome(
    engagement: Engagement, action_hours: np.ndarray | float, damping: np.ndarray | float
) -> ViewsOutcome:
    """Views before, after and prevented by an action ``action_hours`` after upload.

    ``action_hours``: hours after upload when the action applied (``np.inf``: never acted).
    ``damping``: in ``[0, 1]``, the fraction of the remaining views the action prevents
    (1 = removal, 0 = no effect on reach). Both broadcast against the items. Exact closed form.
    """
    damping = np.asarray(damping, dtype=np.float64)
    if np.any(~((damping >= 0) & (damping <= 1))):  # also refuses NaN
        raise ValueError("damping must lie in [0, 1]")
    z = _standardised_log_hours(engagement, action_hours)
    total = engagement.total
    below, above = _tails(z)
    before = total * below
    remaining = total * above  # Φ(−z) = 1 − Φ(z), without cancellation in the upper tail
    prevented = remaining * damping
    after = remaining - prevented
    # Φ(z) + Φ(−z) can miss 1 by an ulp: keep realised ≤ V, and exactly V if nothing is prevented.
    realised = np.minimum(before + after, total)
    np.copyto(realised, total, where=prevented == 0)
    return ViewsOutcome(before=before, after=after, prevented=prevented, realised=realised)


def viral_crossing_hours(engagement: Engagement, threshold: float) -> np.ndarray:
    """Hours after upload when undamped cumulative views ``V·F(t)`` reach ``threshold``.

    ``F⁻¹(threshold / V) = t_half·exp(half_sigma·Φ⁻¹(threshold / V))``; ``np.inf`` where
    ``V ≤ threshold`` (the item never goes viral); ``0`` for ``threshold = 0``.
    """
    _check_non_negative(threshold=threshold)
    total = engagement.total
    viral = total > threshold
    share = np.divide(threshold, total, out=np.ones_like(total), where=viral)
    with np.errstate(over="ignore"):  # an item barely above the threshold crosses very late
        hours: np.ndarray = engagement.t_half * np.exp(engagement.half_sigma * ndtri(share))
    hours[~viral] = np.inf
    return hours


def stopped_before_viral(
    engagement: Engagement,
    threshold: float,
    action_hours: np.ndarray | float,
    damping: np.ndarray | float,
) -> np.ndarray:
    """True where an item would have gone viral (``V > threshold``) but did not.

    "Did not" means its realised views (before + after the action) stayed ``≤ threshold``.
    Arguments as in ``views_outcome`` and ``viral_crossing_hours``.
    """
    _check_non_negative(threshold=threshold)
    realised = views_outcome(engagement, action_hours, damping).realised
    return (engagement.total > threshold) & (realised <= threshold)


def _tails(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Φ(z), Φ(−z)), evaluated only where z is finite (Φ is exactly 0 or 1 at ∓inf: never
    acting, z = inf, is the common case)."""
    finite = np.isfinite(z)
    if finite.all():
        return ndtr(z), ndtr(-z)
    below = (z > 0).astype(np.float64)
    above = (z < 0).astype(np.float64)
    if finite.any():
        at = np.flatnonzero(finite)
        below.reshape(-1)[at] = ndtr(z.reshape(-1)[at])
        above.reshape(-1)[at] = ndtr(-z.reshape(-1)[at])
    return below, above


def _standardised_log_hours(engagement: Engagement, hours: np.ndarray | float) -> np.ndarray:
    """``(ln t − ln t_half) / half_sigma``, with ``−inf`` for ``t ≤ 0`` and ``+inf`` for inf."""
    hours = np.asarray(hours, dtype=np.float64)
    if np.any(np.isnan(hours)):
        raise ValueError("hours must not be NaN (use np.inf for never)")
    with np.errstate(divide="ignore"):  # ln 0 = −inf is the intended F = 0
        z: np.ndarray = np.log(np.maximum(hours, 0.0) / engagement.t_half)
    z /= engagement.half_sigma
    return z


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be finite and > 0, got {value!r}")


def _check_non_negative(**values: float) -> None:
    for name, value in values.items():
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
