"""Leave-one-generator-out: how the head does on a generator family it never saw, each family
scored against real photos from camera sources held out too (docs/default-detector.md, "How it
was measured"; docs/internals/learn.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, KFold

from deepscreen.learn.metrics import Estimate, evaluate

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``(train_indices, test_indices) -> calibrated scores of the test rows``."""


@dataclass(frozen=True)
class HeldOutFamily:
    family: str
    ai_images: int
    real_images: int
    auc: Estimate
    tpr_at_1pct_fpr: Estimate
    recall_at_threshold: Estimate
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def real_folds(groups: np.ndarray, folds: int, seed: int) -> list[np.ndarray]:
    """Positions (into ``groups``) of each real fold: by source when there are at least two
    sources, else shuffled folds of images."""
    distinct = np.unique(groups)
    if distinct.size >= 2:
        splitter = GroupKFold(n_splits=min(folds, int(distinct.size)))
        return [test for _, test in splitter.split(groups, groups=groups)]
    k = max(2, min(folds, groups.size))
    return [test for _, test in KFold(k, shuffle=True, random_state=seed).split(groups)]


def leave_one_family_out(
    labels: np.ndarray,
    groups: list[str],
    score: Scorer,
    *,
    threshold: float,
    folds: int = 5,
    n_boot: int = 2000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> list[HeldOutFamily]:
    """One row per AI family (``groups`` of the label-1 items), in name order."""
    group_arr = np.asarray(groups, dtype=object)
    real = np.flatnonzero(labels == 0)
    ai = np.flatnonzero(labels == 1)
    families = sorted(set(group_arr[ai].tolist()))
    if len(families) < 2:
        raise ValueError("leave-one-family-out needs at least two AI families (sources)")
    fold_positions = real_folds(group_arr[real], folds, seed)
    rows = []
    for family in families:
        held = ai[group_arr[ai] == family]
        kept_ai = ai[group_arr[ai] != family]
        ai_scores = np.zeros(held.size)
        real_scores = np.zeros(real.size)
        for positions in fold_positions:
            train_real = np.delete(real, positions)
            train = np.sort(np.concatenate([kept_ai, train_real]))
            test = np.concatenate([held, real[positions]])
            scores = score(train, test)
            ai_scores += scores[: held.size] / len(fold_positions)
            real_scores[positions] = scores[held.size :]
            if progress is not None:
                progress(1)
        y = np.r_[np.ones(held.size, np.int64), np.zeros(real.size, np.int64)]
        report = evaluate(
            y,
            np.r_[ai_scores, real_scores],
            threshold=threshold,
            n_boot=n_boot,
            seed=seed,
            sources=["ai"] * held.size + ["real"] * real.size,
        )
        recall = next(r["recall"] for r in report.per_source if r["source"] == "ai")
        rows.append(
            HeldOutFamily(
                family=family,
                ai_images=int(held.size),
                real_images=int(real.size),
                auc=report.metrics["auc"],
                tpr_at_1pct_fpr=report.metrics["tpr_at_1pct_fpr"],
                recall_at_threshold=recall,
                threshold=threshold,
            )
        )
    return rows


def fits_needed(labels: np.ndarray, groups: list[str], folds: int) -> int:
    """How many fits :func:`leave_one_family_out` makes (for a progress bar)."""
    group_arr = np.asarray(groups, dtype=object)
    families = len(set(group_arr[labels == 1].tolist()))
    real_sources = len(set(group_arr[labels == 0].tolist()))
    per_family = min(folds, real_sources) if real_sources >= 2 else max(2, folds)
    return families * per_family
