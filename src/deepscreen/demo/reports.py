"""Which view of an item brings its first user report (pure numpy), for the demo's sample: each
view reports with a fixed probability, so the first reporting view is geometric;
``service.demo_views.report_hours`` turns it into a time on the item's engagement curve."""

from __future__ import annotations

import numpy as np

NEVER = -1
"""``report_after_views`` of an item that is never reported, however many views it gets."""


def report_after_views(
    rng: np.random.Generator, rates: np.ndarray, lifetime_views: np.ndarray
) -> np.ndarray:
    """The view that brings each item its first user report (1-based), or ``NEVER``.

    Each view reports the item with probability ``rates[i]`` independently, so the first
    reporting view is geometric; an item whose lifetime views (rounded) run out before it is
    never reported. Consumes one uniform draw per item whatever the rates.
    """
    rates = np.asarray(rates, dtype=np.float64)
    if np.any(~((rates >= 0) & (rates <= 1))):
        raise ValueError("report rates must lie in [0, 1]")
    u = rng.random(rates.shape)
    with np.errstate(divide="ignore", invalid="ignore"):  # rate 0: never; rate 1: first view
        k = np.ceil(np.log1p(-u) / np.log1p(-rates))
    k = np.where(rates >= 1, 1.0, k)
    reach = np.rint(lifetime_views)
    reported = (rates > 0) & np.isfinite(k) & (k <= reach)
    return np.where(reported, np.maximum(k, 1), NEVER).astype(np.int64)
