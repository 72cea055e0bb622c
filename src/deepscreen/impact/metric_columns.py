"""The metric columns computed from cell sums and per-item bootstraps (``_Context``): volume,
prevalence, enforcement, exposure and quality (precision, recall, false-positive rate)."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from deepscreen.core.metrics import ANY_ACTION, ENFORCEMENT_ACTIONS, FLAGGED, VBA_BUCKETS
from deepscreen.impact.metric_groups import _Column, _Groups
from deepscreen.impact.metric_items import _ItemArrays
from deepscreen.impact.metric_schema import CONFIDENCE, PER_10K
from deepscreen.stats import bootstrap_mean, bootstrap_ratio, proportion_bounds


@dataclass(frozen=True)
class _Context:
    groups: _Groups
    agg: Mapping[str, NDArray[np.float64]]
    items: _ItemArrays | None  # per-item arrays to resample; None: no bootstrap intervals
    n_boot: int
    seed: int
    quantile_intervals: bool  # the exact order-statistic intervals of the quantiles

    def seed_for(self, metric: str, group: int) -> list[int]:
        """Entropy of one (metric, group) bootstrap: independent of row order and group count."""
        label = f"{metric}\x1e{self.groups.label(group)}".encode()
        return [self.seed, zlib.crc32(label)]


def _safe_divide(
    numerator: NDArray[np.float64], denominator: NDArray[np.float64]
) -> NDArray[np.float64]:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def _volume_metrics(c: _Context) -> dict[str, _Column]:
    uploads = c.agg["uploads"]
    return {"uploads": _Column.count(uploads, uploads)}


def _prevalence_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    labelled, weighted = a["labelled"], a["with_pi"] > 0
    share = _safe_divide(a["w_violating"], a["w_labelled"])
    ess = _safe_divide(a["w_labelled"] ** 2, a["w2_labelled"])
    plain = _Column.share(a["violating"], labelled, PER_10K)
    hajek = _Column.share(
        np.nan_to_num(share * ess), np.nan_to_num(ess), PER_10K
    )  # Wilson on the Kish effective sample size
    items_rate = _Column(
        np.where(weighted, np.clip(share, 0.0, 1.0) * PER_10K, plain.value),
        np.where(weighted, hajek.low, plain.low),
        np.where(weighted, hajek.high, plain.high),
        np.rint(labelled).astype(np.int64),
    )
    view_value = np.clip(_safe_divide(a["wv_violating"], a["wv_labelled"]), 0.0, 1.0) * PER_10K
    views = _Column(
        view_value,
        np.full(c.groups.count, np.nan),
        np.full(c.groups.count, np.nan),
        np.rint(labelled).astype(np.int64),
    )
    if c.items is not None:
        cells, w_all, v_all, y_all, _, _, _ = c.items.labelled()
        for group, (w, v, y) in c.groups.split(cells, w_all, v_all, y_all):
            if not np.isfinite(view_value[group]):
                continue
            low, high = _share_interval(w * v * y, w * v, c, "view_prevalence_per_10k", group)
            views.low[group], views.high[group] = low * PER_10K, high * PER_10K
    return {"violating_per_10k_uploads": items_rate, "view_prevalence_per_10k": views}


def _share_interval(
    numerator: NDArray[np.float64],
    denominator: NDArray[np.float64],
    c: _Context,
    metric: str,
    group: int,
) -> tuple[float, float]:
    """Bootstrap interval of Σ numerator / Σ denominator (0 ≤ numerator ≤ denominator); at an
    estimate of exactly 0 or 1 (a degenerate bootstrap) Wilson/rule of three on the Kish ESS."""
    total = float(denominator.sum())
    if total <= 0:
        return math.nan, math.nan
    estimate = float(numerator.sum()) / total
    if estimate <= 0.0 or estimate >= 1.0:
        ess = total**2 / float((denominator**2).sum())
        _, low, high = proportion_bounds(min(max(estimate, 0.0), 1.0) * ess, ess)
        return float(low), float(high)
    interval = bootstrap_ratio(
        numerator,
        denominator,
        n_boot=c.n_boot,
        seed=c.seed_for(metric, group),
        confidence=CONFIDENCE,
    )
    return (
        math.nan if interval.low is None else interval.low,
        math.nan if interval.high is None else interval.high,
    )


def _enforcement_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    uploads, enforced = a["uploads"], a["enforced"]
    columns = {"actioned_total": _Column.count(enforced, uploads)}
    for action in ENFORCEMENT_ACTIONS:
        columns[f"actioned_{action}"] = _Column.count(a[f"actioned_{action}"], uploads)
    columns["sent_to_review"] = _Column.count(a["sent_to_review"], uploads)
    columns["proactive_rate"] = _Column.share(a["proactive"], enforced)
    columns["automated_share"] = _Column.share(a["automated"], enforced)
    columns["appeal_rate"] = _Column.share(a["appealed"], enforced)
    columns["overturn_rate"] = _Column.share(a["appeals_overturned"], a["appeals_decided"])
    return columns


def _exposure_metrics(c: _Context) -> dict[str, _Column]:
    a = c.agg
    counted = a["vba_n"]
    mean = _Column(
        _safe_divide(a["vba_sum"], counted),
        np.full(c.groups.count, np.nan),
        np.full(c.groups.count, np.nan),
        np.rint(counted).astype(np.int64),
    )
    if c.items is not None:
        for group, (views,) in c.groups.split(*c.items.views_before_action()):
            interval = bootstrap_mean(
                views,
                n_boot=c.n_boot,
                seed=c.seed_for("views_before_action_mean", group),
                confidence=CONFIDENCE,
            )
            if interval.low is not None and interval.high is not None:
                mean.low[group], mean.high[group] = interval.low, interval.high
    columns = {"views_before_action_mean": mean}
    for suffix, _, _ in VBA_BUCKETS:
        columns[f"views_before_action_{suffix}"] = _Column.share(a[f"vba_{suffix}"], counted)
    return columns


def _quality_metrics(c: _Context, present: Sequence[str]) -> dict[str, _Column]:
    a = c.agg
    weighted = a["with_pi"] > 0
    violating, labelled = a["violating"], a["labelled"]
    w_violating, w_clean = a["w_violating"], a["w_clean"]
    columns: dict[str, _Column] = {}
    actions = [ANY_ACTION, FLAGGED, *present]
    for action in actions:
        lab, tp = a[f"lab_{action}"], a[f"tp_{action}"]
        w_lab, w_tp = a[f"w_lab_{action}"], a[f"w_tp_{action}"]
        specs = {
            f"precision_{action}": (tp, lab, w_tp, w_lab),
            f"recall_{action}": (tp, violating, w_tp, w_violating),
            f"false_positive_rate_{action}": (
                lab - tp,
                labelled - violating,
                a[f"w_fp_{action}"],
                w_clean,
            ),
        }
        for name, (k, n, w_k, w_n) in specs.items():
            plain = _Column.share(k, n)
            nothing = np.full(c.groups.count, np.nan)
            columns[name] = _Column(
                np.where(weighted, np.clip(_safe_divide(w_k, w_n), 0.0, 1.0), plain.value),
                np.where(weighted, nothing, plain.low),
                np.where(weighted, nothing, plain.high),
                np.rint(n).astype(np.int64),
            )
    if c.items is not None and weighted.any():
        cells, w_all, _, y_all, code_all, enforced_all, flagged_all = c.items.labelled()
        for group, (w, y, code, enforced, flagged) in c.groups.split(
            cells, w_all, y_all, code_all, enforced_all, flagged_all
        ):
            if not weighted[group]:
                continue
            violating_w = w * y
            clean_w = w * ~y
            for action in actions:
                if action == ANY_ACTION:
                    acted = enforced
                elif action == FLAGGED:
                    acted = flagged
                else:
                    acted = enforced & (code == ENFORCEMENT_ACTIONS.index(action))
                parts = {
                    f"precision_{action}": (violating_w * acted, w * acted),
                    f"recall_{action}": (violating_w * acted, violating_w),
                    f"false_positive_rate_{action}": (clean_w * acted, clean_w),
                }
                for name, (numerator, denominator) in parts.items():
                    low, high = _share_interval(numerator, denominator, c, name, group)
                    columns[name].low[group], columns[name].high[group] = low, high
    # Recall counts the violations the policy missed, which only labelled items it did NOT act
    # on can show: without any (labels from the review queue alone), it is not estimable.
    for action in actions:
        basis = FLAGGED if action == FLAGGED else ANY_ACTION
        no_unactioned = (labelled - a[f"lab_{basis}"]) <= 0
        recall = columns[f"recall_{action}"]
        for values in (recall.value, recall.low, recall.high):
            values[no_unactioned] = np.nan
        recall.n[no_unactioned] = 0
    return columns
