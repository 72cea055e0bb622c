"""A simulated batch: per-item arrays by name (``Batch``), the action codes and constants a
run shares, and joining batches."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from deepscreen.simulate.policy_bridge import ACTIONS

START = datetime(2026, 1, 1, tzinfo=UTC)
ENFORCING = ("label", "downrank", "age_gate", "remove")
REVIEW_ACTION = "remove"
_US_PER_HOUR = 3_600_000_000
_ALLOW, _REVIEW = ACTIONS.index("allow"), ACTIONS.index("review")
_ENFORCING_CODES = np.asarray([ACTIONS.index(a) for a in ENFORCING])
_IS_ENFORCING = np.isin(np.arange(len(ACTIONS)), _ENFORCING_CODES)
_TRUTHS = (
    "views_prevented",
    "violating_views_prevented",
    "violating_views_realised",
    "viral_deepfakes_without_moderation",
    "viral_deepfakes_stopped",
    "viral_deepfakes_not_stopped",
)
Batch = dict[str, np.ndarray]


def _rows(batch: Batch | None) -> int:
    return 0 if batch is None else int(batch["upload"].shape[0])


def _concat(first: Batch, second: Batch) -> Batch:
    return {name: np.concatenate([first[name], second[name]]) for name in first}


def _without_then(first: Batch, dropped: np.ndarray, second: Batch) -> Batch:
    """``_concat`` of ``first`` without its rows ``dropped`` (ascending) and ``second``: the runs
    of rows between dropped ones are copied whole (few rows are dropped: those queued)."""
    edges = np.concatenate(([-1], dropped, [_rows(first)])).tolist()
    runs = [(a + 1, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a + 1]
    return {
        name: np.concatenate([values[a:b] for a, b in runs] + [second[name]])
        for name, values in first.items()
    }
