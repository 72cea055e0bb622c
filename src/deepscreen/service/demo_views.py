"""The demo's views and user reports in time (pure numpy, no I/O): views counted in windows on
each item's engagement curve, a removal freezing the count, and the time of each item's first
user report; times are hours since the scenario's start (docs/internals/service.md)."""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from deepscreen.demo.reports import NEVER
from deepscreen.simulate.engagement import Engagement, fraction_by


class ViewCounter:
    """Views per item counted window by window; ``close`` returns each item's new views.

    ``uploaded``: upload times (hours); ``engagement``: lifetime views and timing, aligned.
    An item's views in the window closing at ``end`` are ``round(V·F(min(end, stop) − upload))``
    less what earlier windows counted (never negative): nothing before its upload, nothing
    after its ``stop``.
    """

    def __init__(self, uploaded: np.ndarray, engagement: Engagement) -> None:
        if uploaded.shape != engagement.total.shape:
            raise ValueError("uploaded and engagement must be aligned")
        self._uploaded = np.asarray(uploaded, dtype=np.float64)
        self._engagement = engagement
        self._counted = np.zeros(uploaded.shape, dtype=np.int64)

    @property
    def counted(self) -> np.ndarray:
        """Views counted so far per item (a copy)."""
        return self._counted.copy()

    def close(self, end: float, stop: np.ndarray | float = np.inf) -> np.ndarray:
        """New views per item in the window closing at ``end`` (int64), given each item's
        ``stop`` time (removal; ``inf``: never), and count them."""
        age = np.minimum(end, stop) - self._uploaded
        cumulative = cumulative_views(self._engagement, age)
        new = np.maximum(cumulative - self._counted, 0)
        self._counted += new
        return new


def cumulative_views(engagement: Engagement, age_hours: np.ndarray | float) -> np.ndarray:
    """``round(V·F(age))`` per item (int64): views by ``age_hours`` after upload (0 before)."""
    expected = engagement.total * fraction_by(engagement, np.maximum(age_hours, 0.0))
    views: np.ndarray = np.rint(expected).astype(np.int64)
    return views


def report_hours(engagement: Engagement, after_views: np.ndarray) -> np.ndarray:
    """Hours after upload when each item gets its ``after_views``-th view (``inf`` for
    ``NEVER``): when ``V·F(t)`` reaches ``k − ½``, so that the rounded count is ``k``."""
    after_views = np.asarray(after_views)
    total = engagement.total
    reported = (after_views != NEVER) & (after_views - 0.5 < total)
    share = np.divide(after_views - 0.5, total, out=np.full(total.shape, 0.5), where=reported)
    share = np.clip(share, np.finfo(np.float64).tiny, 1.0)
    hours = engagement.t_half * np.exp(engagement.half_sigma * ndtri(share))
    return np.where(reported, hours, np.inf)
