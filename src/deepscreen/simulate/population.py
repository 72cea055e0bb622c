"""The uploaded population: each item's category, whether it is AI-generated, violating or
declared, and its detector score (per-item arrays, drawn in one vectorised pass).
Notes: docs/internals/simulate.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Population", "draw_items", "draw_scores"]

_BUCKETS = 1 << 16  # uniform buckets of the category lookup table
_SHARE_SUM_TOLERANCE = 1e-6


@dataclass(frozen=True, eq=False)
class Population:
    """Aligned 1-D per-item arrays, in upload order.

    ``upload_hours``: float hours since the simulation start. ``category``: int64 index into the
    scenario's categories. ``ai``: AI-generated (ground truth). ``violating``: violates the
    deepfake policy (ground truth; implies ``ai``). ``declared``: an AI item whose provenance is
    declared (creator disclosure or a provenance manifest; implies ``ai``). ``eq=False``:
    instances compare by identity.
    """

    upload_hours: np.ndarray
    category: np.ndarray
    ai: np.ndarray
    violating: np.ndarray
    declared: np.ndarray

    def __len__(self) -> int:
        return int(self.upload_hours.size)


def draw_items(
    rng: np.random.Generator,
    *,
    upload_hours: np.ndarray,
    category_shares: Sequence[float] | np.ndarray,
    ai_shares: Sequence[float] | np.ndarray,
    violating_shares_of_ai: Sequence[float] | np.ndarray,
    declared_shares_of_ai: Sequence[float] | np.ndarray,
) -> Population:
    """Draw one item per upload time. All share arrays are aligned by category index.

    ``category_shares``: probability of each category (≥ 0, summing to 1 within 1e-6).
    ``ai_shares[k]``: P(AI-generated | category k). ``violating_shares_of_ai[k]``:
    P(violating | AI, category k). ``declared_shares_of_ai[k]``: P(declared | AI, category k).
    All are probabilities in [0, 1]. Consumes four uniforms per item whatever the shares, so
    scenarios that differ only in shares see the same randomness (common random numbers): with
    the category shares fixed, raising an AI, violating or declared share only adds items to
    that class.
    """
    hours = np.asarray(upload_hours, dtype=np.float64)
    if hours.ndim != 1:
        raise ValueError(f"upload_hours must be 1-D, got shape {hours.shape}")
    shares = {
        "category_shares": np.asarray(category_shares, dtype=np.float64),
        "ai_shares": np.asarray(ai_shares, dtype=np.float64),
        "violating_shares_of_ai": np.asarray(violating_shares_of_ai, dtype=np.float64),
        "declared_shares_of_ai": np.asarray(declared_shares_of_ai, dtype=np.float64),
    }
    k = shares["category_shares"].size
    for name, values in shares.items():
        if values.shape != (k,) or k == 0:
            raise ValueError(f"{name} must be 1-D with one entry per category ({k}), got {values}")
        if not np.all((values >= 0) & (values <= 1)):
            raise ValueError(f"{name} must be probabilities in [0, 1], got {values}")
    total = float(shares["category_shares"].sum())
    if abs(total - 1.0) > _SHARE_SUM_TOLERANCE:
        raise ValueError(f"category_shares must sum to 1, got sum {total!r}")

    n = hours.size
    cumulative = np.cumsum(shares["category_shares"]) / total
    cumulative[-1] = 1.0  # uniforms are < 1, so the last category closes the interval
    category = _categories(cumulative, rng.random(n))
    ai = rng.random(n) < shares["ai_shares"][category]
    violating = ai & (rng.random(n) < shares["violating_shares_of_ai"][category])
    declared = ai & (rng.random(n) < shares["declared_shares_of_ai"][category])
    return Population(
        upload_hours=hours, category=category, ai=ai, violating=violating, declared=declared
    )


def _categories(cumulative: np.ndarray, uniforms: np.ndarray) -> np.ndarray:
    """``np.searchsorted(cumulative, uniforms, side="right")`` for uniforms in [0, 1), read from
    a table over 2**16 equal buckets; the few buckets holding a boundary are searched."""
    edges = np.arange(_BUCKETS + 1, dtype=np.float64) / _BUCKETS  # exact
    at_low = np.searchsorted(cumulative, edges[:-1], side="right")  # boundaries ≤ bucket start
    below_high = np.searchsorted(cumulative, edges[1:], side="left")  # boundaries < bucket end
    table = np.where(at_low == below_high, at_low, -1)  # -1: a boundary inside the bucket
    category = table[(uniforms * _BUCKETS).astype(np.int64)]
    inside = np.flatnonzero(category < 0)
    category[inside] = np.searchsorted(cumulative, uniforms[inside], side="right")
    return np.asarray(category, dtype=np.int64)


def draw_scores(
    rng: np.random.Generator,
    violating: np.ndarray,
    *,
    violating_beta: tuple[float, float],
    benign_beta: tuple[float, float],
) -> np.ndarray:
    """The detector's score per item, in [0, 1], drawn from a Beta distribution by true class.

    ``violating_beta`` and ``benign_beta`` are the ``(a, b)`` shape parameters (> 0) for
    violating and non-violating items (mean ``a / (a + b)``). The score is read as a calibrated
    probability of violating only if the Beta parameters and the base rate ``π`` agree:
    ``P(violating | s) = π·f₁(s) / (π·f₁(s) + (1 − π)·f₀(s))`` should equal ``s``. This
    function does not enforce that; the scenario chooses the parameters.
    """
    violating = np.asarray(violating)
    if violating.dtype != np.bool_ or violating.ndim != 1:
        raise ValueError(
            f"violating must be a 1-D bool array, got {violating.dtype} {violating.shape}"
        )
    for name, (a, b) in (("violating_beta", violating_beta), ("benign_beta", benign_beta)):
        if not (np.isfinite(a) and np.isfinite(b) and a > 0 and b > 0):
            raise ValueError(f"{name} must be two finite shapes > 0, got {(a, b)!r}")
    scores = np.empty(violating.size, dtype=np.float64)
    n_violating = int(np.count_nonzero(violating))
    scores[violating] = rng.beta(*violating_beta, size=n_violating)
    scores[~violating] = rng.beta(*benign_beta, size=violating.size - n_violating)
    return scores
