"""One simulated run of a scenario under a policy bundle, and replications of it.

Per day (streamed, seeded ``[seed, day]``): uploads → items (category, AI, violating, declared)
→ detector scores → lifetime views and their timing → the real policy at upload (synchronous
provenance decision) and again when the model score arrives (asynchronous) → automated actions
apply at that time. Items sent to review join one queue across the whole run (capacity by
shift); a reviewer confirms a violation (the reviewer is assumed right) and the item is removed
at review completion. Actions stop (removal) or damp (label, downrank, age gate: the scenario's
damping) the remaining views — the closed form of ``engagement.views_outcome``. Appeals are
drawn among enforced items.

The run ends as an item table in ``impact.items.ITEM_SCHEMA`` with every item's ground truth
known, so the impact metric table is computed by the same code as for real logs; plus
simulation-only truths (views prevented, viral deepfakes stopped, reviewer backlog) and the
cost figures of ``impact.costs``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from deepscreen.impact.costs import CostModel, cost_report
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metrics import metric_table
from deepscreen.policy.bundle import Bundle
from deepscreen.simulate.arrivals import upload_hours
from deepscreen.simulate.engagement import (
    Engagement,
    draw_engagement,
    stopped_before_viral,
    views_outcome,
)
from deepscreen.simulate.policy_bridge import ACTIONS, PolicyBridge
from deepscreen.simulate.population import draw_items, draw_scores
from deepscreen.simulate.review_queue import capacity_per_hour, simulate_queue
from deepscreen.simulate.scenario import Scenario

START = datetime(2026, 1, 1, tzinfo=UTC)
ENFORCING = ("label", "downrank", "age_gate", "remove")
REVIEW_ACTION = "remove"
_US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class RunResult:
    """One replication: the item table, its metric table and the simulation-only truths."""

    seed: int
    items: pa.Table
    metrics: pa.Table
    truths: Mapping[str, float]
    backlog: np.ndarray
    costs: Mapping[str, float | None]

    def summary(self) -> dict[str, float]:
        """Scalar results by name: the ``all`` metric rows, truths and computed costs."""
        out: dict[str, float] = {}
        for row in self.metrics.to_pylist():
            if row["policy_revision"] == "all" and row["segment"] == "all":
                if row["value"] is not None:
                    out[row["metric"]] = float(row["value"])
        out.update({k: float(v) for k, v in self.truths.items()})
        out.update({f"cost_{k}": float(v) for k, v in self.costs.items() if v is not None})
        return out


def simulate_run(
    scenario: Scenario,
    bundle: Bundle,
    *,
    seed: int | None = None,
    signal_names: Sequence[str] | None = None,
    progress: Callable[[int], None] | None = None,
    keep_items: bool = True,
) -> RunResult:
    """One replication. ``keep_items=False`` drops the item table after its metrics are computed
    (replications and sweeps keep only summaries: a large run's table is gigabytes)."""
    seed = scenario.seed if seed is None else seed
    bridge = PolicyBridge(bundle, scenario.category_names, signal_names=signal_names)
    parts: list[dict[str, np.ndarray]] = []
    for day in range(scenario.days):
        parts.append(_simulate_day(scenario, bridge, seed, day))
        if progress is not None:
            progress(1)
    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    backlog = _review(scenario, columns)
    truths = _finish(scenario, columns, seed)
    truths["review_backlog_final"] = float(backlog[-1]) if backlog.size else 0.0
    truths["review_backlog_max"] = float(backlog.max()) if backlog.size else 0.0
    items = _item_table(scenario, columns, bundle.revision)
    metrics = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    model = CostModel.from_mapping(scenario.cost_inputs())
    clean = ~columns["violating"]
    flagged = clean & (columns["action"] != ACTIONS.index("allow"))
    report = cost_report(
        items,
        model,
        false_positive_rate=float(flagged.sum() / clean.sum()) if clean.any() else None,
        false_positive_rate_source=(
            f"simulation truth: {int(flagged.sum())} of {int(clean.sum())} non-violating items "
            "flagged"
        ),
    )
    costs = {name: report[name].value for name in report.figures}
    prevented = _harm_prevented(scenario, model, columns)
    costs["harm_prevented_simulated"] = prevented
    if prevented is not None:
        # net value with the harm the simulation knows was prevented (removals included)
        costs["net_value_simulated"] = (
            prevented - (costs.get("review_labour") or 0.0) - (costs.get("wrongful_actions") or 0.0)
        )
    if not keep_items:
        items = items.slice(0, 0)
    return RunResult(seed, items, metrics, truths, backlog, costs)


def _harm_prevented(scenario: Scenario, model: CostModel, c: dict[str, np.ndarray]) -> float | None:
    """Σ views of violating items that actions prevented (known only in simulation) × harm per
    view of the item's category severity; None when a needed harm rate is not configured."""
    prevented = c["total"] - c["realised"]
    total = 0.0
    for index, name in enumerate(scenario.category_names):
        mask = c["violating"] & (c["category"] == index)
        if not mask.any():
            continue
        rate = model.harm_per_view(name)
        if rate is None:
            return None
        total += float(prevented[mask].sum()) * rate
    return total


def _simulate_day(scenario: Scenario, bridge: PolicyBridge, seed: int, day: int) -> dict[str, Any]:
    rng = np.random.default_rng([seed, day])
    cats = scenario.categories
    hours = upload_hours(
        rng,
        per_day=scenario.uploads.per_day,
        hourly_cycle=np.asarray(scenario.uploads.hourly_cycle),
        day=day,
    )
    population = draw_items(
        rng,
        upload_hours=hours,
        category_shares=[c.share for c in cats],
        ai_shares=[c.ai_share for c in cats],
        violating_shares_of_ai=[c.violating_share_of_ai for c in cats],
        declared_shares_of_ai=[c.declared_share_of_ai for c in cats],
    )
    detector = scenario.detector
    assert detector.violating is not None and detector.benign is not None, "beta detector only"
    score = draw_scores(
        rng,
        population.violating,
        violating_beta=(detector.violating.a, detector.violating.b),
        benign_beta=(detector.benign.a, detector.benign.b),
    )
    e = scenario.engagement
    engagement = draw_engagement(
        rng,
        hours.size,
        violating=population.violating,
        views_median=e.views_median,
        views_sigma=e.views_sigma,
        violating_views_multiplier=e.violating_views_multiplier,
        half_views_hours_median=e.half_views_hours_median,
        half_views_sigma=e.half_views_sigma,
    )
    sync = bridge.decide(population.category, population.declared, None)
    later = bridge.decide(population.category, population.declared, score)
    allow = ACTIONS.index("allow")
    use_sync = sync.action != allow
    action = np.where(use_sync, sync.action, later.action)
    rule_names = np.asarray([*sync.rules, *later.rules], dtype=object)
    rule = np.where(use_sync, sync.rule, later.rule + len(sync.rules))
    latency = scenario.latency
    decided_after = np.where(
        use_sync, latency.sync_scan_seconds / 3600.0, latency.async_model_seconds / 3600.0
    )
    return {
        "upload": hours,
        "category": population.category,
        "violating": population.violating,
        "score": score,
        "action": action.astype(np.int8),
        "rule": rule_names[rule],
        "decided_after": decided_after,
        "total": np.asarray(engagement.total),
        "t_half": np.asarray(engagement.t_half),
        "half_sigma": np.full(hours.size, engagement.half_sigma),
    }


def _review(scenario: Scenario, c: dict[str, np.ndarray]) -> np.ndarray:
    """Review completion (hours after upload; inf = never) for items sent to review."""
    horizon = scenario.days * 24
    queued = c["action"] == ACTIONS.index("review")
    review = scenario.review
    capacity = capacity_per_hour(
        hours=horizon,
        reviewers=review.reviewers,
        items_per_reviewer_hour=review.items_per_reviewer_hour,
        staffed_hours=review.staffed_hours,
    )
    arrivals = (c["upload"] + c["decided_after"])[queued]
    priority = c["score"][queued] if review.priority == "score" else None
    result = simulate_queue(arrivals, capacity, priority=priority, horizon_hours=horizon)
    reviewed_after = np.full(c["upload"].shape, np.inf)
    reviewed_after[queued] = np.asarray(result.completed_at) - c["upload"][queued]
    c["reviewed_after"] = reviewed_after
    return np.asarray(result.backlog)


def _finish(scenario: Scenario, c: dict[str, np.ndarray], seed: int) -> dict[str, float]:
    """Enforcement times and damping, the views outcome, appeals; returns the truths."""
    action_names = np.asarray(ACTIONS, dtype=object)[c["action"]]
    automated = np.isin(action_names, ENFORCING)
    confirmed = (action_names == "review") & c["violating"] & np.isfinite(c["reviewed_after"])
    enforced = automated | confirmed
    enforced_action = _masked(automated, action_names)
    enforced_action[confirmed] = REVIEW_ACTION
    acts = scenario.actions
    damping_by = {
        "remove": 1.0,
        "label": acts.label_damping,
        "downrank": acts.downrank_damping,
        "age_gate": acts.age_gate_damping,
    }
    damping = np.zeros(action_names.shape)
    for name, value in damping_by.items():
        damping[enforced_action == name] = value
    action_after = np.where(
        automated, c["decided_after"], np.where(confirmed, c["reviewed_after"], np.inf)
    )
    engagement = Engagement(
        c["total"], c["t_half"], float(c["half_sigma"][0]) if c["half_sigma"].size else 1.0
    )
    outcome = views_outcome(engagement, action_after, damping)
    threshold = scenario.engagement.viral_threshold
    would_go_viral = c["violating"] & (c["total"] > threshold)
    stopped = stopped_before_viral(engagement, threshold, action_after, damping) & would_go_viral
    rng = np.random.default_rng([seed, 10_000])
    appealed = enforced & (rng.random(enforced.shape) < scenario.appeals.rate)
    overturned = (
        appealed & ~c["violating"] & (rng.random(enforced.shape) < scenario.appeals.overturn_share)
    )
    c["enforced"], c["automated"], c["enforced_action"] = enforced, automated, enforced_action
    c["action_after"], c["appealed"], c["overturned"] = action_after, appealed, overturned
    c["before"], c["realised"] = np.asarray(outcome.before), np.asarray(outcome.realised)
    violating = c["violating"]
    return {
        "views_prevented": float(np.sum(outcome.prevented)),
        "violating_views_prevented": float(np.sum(np.asarray(outcome.prevented)[violating])),
        "violating_views_realised": float(np.sum(np.asarray(outcome.realised)[violating])),
        "viral_deepfakes_without_moderation": float(np.count_nonzero(would_go_viral)),
        "viral_deepfakes_stopped": float(np.count_nonzero(stopped)),
        "viral_deepfakes_not_stopped": float(np.count_nonzero(would_go_viral & ~stopped)),
    }


def _item_table(scenario: Scenario, c: dict[str, np.ndarray], revision: str) -> pa.Table:
    n = c["upload"].shape[0]
    ts = ITEM_SCHEMA.field("ingested_at").type
    start = np.datetime64(START.replace(tzinfo=None), "us")

    def at(offset_hours: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        finite = np.isfinite(offset_hours) if mask is None else mask & np.isfinite(offset_hours)
        values = start + (np.where(finite, offset_hours, 0) * _US_PER_HOUR).astype(
            "timedelta64[us]"
        )
        return pa.array(values, ts, mask=~finite)

    upload = c["upload"]
    reviewed = np.isfinite(c["reviewed_after"])
    enforced = c["enforced"]
    columns = {
        "item_id": pc.cast(pa.array(np.arange(n)), pa.string()),
        "ingested_at": at(upload),
        "kind": pa.repeat(pa.scalar("image", pa.string()), n),
        "segment": _pick(scenario.category_names, c["category"]),
        "policy_revision": pa.repeat(pa.scalar(revision, pa.string()), n),
        "rule_id": pa.array(c["rule"], pa.string()),
        "action": _pick(ACTIONS, c["action"]),
        "decided_at": at(upload + c["decided_after"]),
        "score": pa.array(c["score"]),
        "detected_at": at(upload + c["decided_after"]),
        "notice_at": pa.nulls(n, ts),
        "violating": pa.array(c["violating"]),
        "reviewed_at": at(upload + c["reviewed_after"], reviewed),
        "review_action": pa.array(
            _masked(reviewed & c["violating"], np.full(n, REVIEW_ACTION, dtype=object)), pa.string()
        ),
        "label_source": _pick(["import", "review"], reviewed),
        "inclusion_probability": pa.nulls(n, pa.float64()),
        "sample_stratum": pa.nulls(n, pa.string()),
        "enforced": pa.array(enforced),
        "enforced_at": at(upload + c["action_after"], enforced),
        "enforced_action": pa.array(c["enforced_action"], pa.string()),
        "automated": pa.array(c["automated"]),
        "views_total": pa.array(np.rint(c["realised"]).astype(np.int64)),
        "views_before_action": pa.array(np.rint(c["before"]).astype(np.int64), mask=~enforced),
        "appeal_received_at": at(upload + c["action_after"] + 24.0, c["appealed"]),
        "appeal_decided_at": at(upload + c["action_after"] + 48.0, c["appealed"]),
        "appeal_outcome": _pick(["upheld", "reversed"], c["overturned"], c["appealed"]),
    }
    return pa.table(columns).cast(ITEM_SCHEMA)


def _pick(
    vocabulary: Sequence[str], codes: np.ndarray, present: np.ndarray | None = None
) -> pa.Array:
    """Strings by code through an Arrow take (no per-item Python strings); null where not
    ``present``."""
    indices = pa.array(
        np.asarray(codes, dtype=np.int32), mask=None if present is None else ~present
    )
    return pc.take(pa.array(list(vocabulary), pa.string()), indices)


def _masked(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """An object array of ``values`` where ``mask``, None elsewhere."""
    out = np.full(mask.shape, None, dtype=object)
    out[mask] = np.asarray(values, dtype=object)[mask]
    return out


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
            rows.append({"metric": name, **interval(values)})
        return rows


def interval(values: np.ndarray, confidence: float = 0.95) -> dict[str, float | int | None]:
    """Mean and a t-interval across independent replications (n = replications)."""
    n = int(values.size)
    if n == 0:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0}
    mean = float(values.mean())
    if n < 2:
        return {"value": mean, "ci_low": None, "ci_high": None, "n": n}
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return {"value": mean, "ci_low": mean - half, "ci_high": mean + half, "n": n}


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
