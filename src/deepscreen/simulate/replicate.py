"""Replications of one configuration (``replicate``): per-metric mean and 95% t-interval
across seeds, clipped to the range each quantity can take."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from deepscreen.impact.metrics import is_proportion
from deepscreen.policy.bundle import Bundle
from deepscreen.simulate.run import RunResult, simulate_run
from deepscreen.simulate.scenario import Scenario


@dataclass(frozen=True)
class Replicated:
    """Replications of one configuration: per-metric mean and 95% t-interval across seeds."""

    label: str
    runs: tuple[RunResult, ...] = field(repr=False)

    def table(self) -> list[dict[str, Any]]:
        summaries = [run.summary() for run in self.runs]
        names = list(dict.fromkeys(name for s in summaries for name in s))
        rows = []
        for name in names:
            values = np.asarray([s[name] for s in summaries if name in s], dtype=float)
            rows.append({"metric": name, **interval(values, bounds=summary_bounds(name))})
        return rows


def interval(
    values: np.ndarray,
    confidence: float = 0.95,
    bounds: tuple[float | None, float | None] = (None, None),
) -> dict[str, float | int | None]:
    """Mean and a t-interval across independent replications (n = replications), clipped to
    ``bounds``, the range the quantity can take: a symmetric t-interval around a small count
    reaches below zero ("viral deepfakes stopped [-0.28, 1.08]"), which no count can."""
    n = int(values.size)
    if n == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(values.mean())
    if n < 2:
        return {"value": mean, "ci_low": None, "ci_high": None, "n": n}
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    low, high = mean - half, mean + half
    floor, ceiling = bounds
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    return {"value": mean, "ci_low": low, "ci_high": high, "n": n}


def summary_bounds(name: str) -> tuple[float | None, float | None]:
    """The range of a run summary quantity: every one is a count, a time, views, money or a
    rate, so none is below zero; shares of items are at most one."""
    return (0.0, 1.0) if is_proportion(name) else (0.0, None)


def replicate(
    scenario: Scenario,
    bundle: Bundle,
    *,
    replications: int,
    label: str = "",
    signal_names: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Replicated:
    """Independent replications with seeds ``scenario.seed + r``."""
    if replications < 1:
        raise ValueError("at least one replication is needed")
    runs = tuple(
        simulate_run(
            scenario,
            bundle,
            seed=scenario.seed + r,
            signal_names=signal_names,
            progress=progress,
            keep_items=False,
        )
        for r in range(replications)
    )
    return Replicated(label or bundle.revision, runs)
