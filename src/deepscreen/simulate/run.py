"""One simulated run of a scenario under a policy bundle (``simulate_run``), streamed by day into
the impact metric table, cost figures and simulation-only truths (replications: ``replicate``).
The flow: docs/internals/simulate.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from deepscreen.impact.costs import CostModel, cost_report, fp_review_cost
from deepscreen.impact.items import ITEM_SCHEMA
from deepscreen.impact.metric_stream import MetricAccumulator
from deepscreen.policy.bundle import Bundle
from deepscreen.simulate.arrivals import upload_hours
from deepscreen.simulate.batch import (
    _ALLOW,
    _IS_ENFORCING,
    _REVIEW,
    _TRUTHS,
    REVIEW_ACTION,
    Batch,
    _concat,
    _rows,
    _without_then,
)
from deepscreen.simulate.engagement import Engagement, draw_engagement, views_outcome
from deepscreen.simulate.item_table import _item_table
from deepscreen.simulate.policy_bridge import ACTIONS, PolicyBridge
from deepscreen.simulate.population import draw_items, draw_scores
from deepscreen.simulate.review_queue import ReviewQueue, capacity_per_hour
from deepscreen.simulate.scenario import Scenario


@dataclass(frozen=True)
class RunResult:
    """One replication: its metric table, the simulation-only truths, the hourly review
    backlog, the cost figures and (``keep_items=True``) the item table."""

    seed: int
    items: pa.Table
    metrics: pa.Table
    truths: Mapping[str, float]
    backlog: np.ndarray
    costs: Mapping[str, float | None]
    item_count: int = 0

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
    """One replication, streamed by day. ``keep_items=False`` keeps no item rows (replications,
    sweeps and the CLI need only the metric table, truths and costs; a large run's item table
    is gigabytes)."""
    seed = scenario.seed if seed is None else seed
    run = _Run(scenario, bundle, seed, signal_names, keep_items)
    for day in range(scenario.days):
        run.day(day)
        if progress is not None:
            progress(1)
    return run.result()


class _Run:
    """The state carried from day to day: the review queue and the items waiting in it, the
    metric accumulator, and running sums of truths, costs and false-positive counts."""

    def __init__(
        self,
        scenario: Scenario,
        bundle: Bundle,
        seed: int,
        signal_names: Sequence[str] | None,
        keep_items: bool,
    ) -> None:
        self.scenario, self.seed, self.revision = scenario, seed, bundle.revision
        self.bridge = PolicyBridge(bundle, scenario.category_names, signal_names=signal_names)
        review = scenario.review
        horizon = scenario.days * 24
        capacity = capacity_per_hour(
            hours=horizon,
            reviewers=review.reviewers,
            items_per_reviewer_hour=review.items_per_reviewer_hour,
            staffed_hours=review.staffed_hours,
        )
        self.queue = ReviewQueue(capacity, prioritised=review.priority == "score")
        self.waiting: Batch | None = None  # queued items in the order added to the queue
        self.metrics = MetricAccumulator(period="all", by_segment=False, by_policy=False)
        self.model = CostModel.from_mapping(scenario.cost_inputs())
        self.truths = dict.fromkeys(_TRUTHS, 0.0)
        self.costs: dict[str, float | None] = {}
        self.harm_prevented: float | None = 0.0
        self.flagged = self.clean = 0
        self.next_id = self.batches = 0
        self.kept: list[pa.Table] | None = [] if keep_items else None

    def day(self, day: int) -> None:
        c = _simulate_day(self.scenario, self.bridge, self.seed, day)
        n = c["upload"].shape[0]
        c["id"] = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        clean = ~c["violating"]
        self.clean += int(clean.sum())
        self.flagged += int((clean & (c["action"] != _ALLOW)).sum())
        queued = c["action"] == _REVIEW
        arrivals = (c["upload"] + c["decided_after"])[queued]
        priority = c["score"][queued] if self.scenario.review.priority == "score" else None
        first_key = self.queue.added
        keys, done = self.queue.advance(arrivals, (day + 1) * 24, priority)
        new = {name: values[queued] for name, values in c.items()}
        new["key"] = np.arange(first_key, self.queue.added, dtype=np.int64)
        waiting = new if self.waiting is None else _concat(self.waiting, new)
        # rows and served keys are both in the order added to the queue
        served = np.isin(waiting["key"], keys, assume_unique=True)
        done = done[np.argsort(keys, kind="stable")]
        reviewed = {name: values[served] for name, values in waiting.items()}
        reviewed["reviewed_after"] = done - reviewed["upload"]
        self.waiting = {name: values[~served] for name, values in waiting.items()}
        c["reviewed_after"] = np.full(n, np.inf)
        self._finalise(_without_then(c, np.flatnonzero(queued), reviewed))
        if day == self.scenario.days - 1 and self.waiting is not None and _rows(self.waiting):
            never = dict(self.waiting)
            never["reviewed_after"] = np.full(never["upload"].shape, np.inf)
            self._finalise(never)
            self.waiting = None

    def _finalise(self, c: Batch) -> None:
        """Outcomes of items whose review (if any) is settled → metrics, costs, truths."""
        truths = _finish(self.scenario, c, self.seed, self.batches)
        self.batches += 1
        for name, value in truths.items():
            self.truths[name] += value
        prevented = _harm_prevented(self.scenario, self.model, c)
        if prevented is None or self.harm_prevented is None:
            self.harm_prevented = None
        else:
            self.harm_prevented += prevented
        items = _item_table(self.scenario, c, self.revision, self.bridge.rules)
        self.metrics.add(items)
        clean = ~c["violating"]
        report = cost_report(  # the batch's rate only spares a recount: fp_review_cost is redone
            items,
            self.model,
            false_positive_rate=float(
                (clean & (c["action"] != _ALLOW)).sum() / max(clean.sum(), 1)
            ),
            false_positive_rate_source="simulation truth (this batch)",
        )
        for name in report.figures:
            if name == "fp_review_cost":
                continue  # per month, from the run's false-positive rate (see result)
            figure = report[name].value
            so_far = self.costs.get(name, 0.0)
            self.costs[name] = None if figure is None or so_far is None else so_far + figure
        if self.kept is not None:
            self.kept.append(items)

    def result(self) -> RunResult:
        backlog = self.queue.backlog
        truths = dict(self.truths)
        truths["review_backlog_final"] = float(backlog[-1]) if backlog.size else 0.0
        truths["review_backlog_max"] = float(backlog.max()) if backlog.size else 0.0
        rate = self.flagged / self.clean if self.clean else None
        source = f"simulation truth: {self.flagged} of {self.clean} non-violating items flagged"
        costs: dict[str, float | None] = {
            "fp_review_cost": fp_review_cost(self.model, rate, source).value,
            **self.costs,
        }
        costs["harm_prevented_simulated"] = self.harm_prevented
        if self.harm_prevented is not None:
            # net value with the harm the simulation knows was prevented (removals included)
            costs["net_value_simulated"] = (
                self.harm_prevented
                - (costs.get("review_labour") or 0.0)
                - (costs.get("wrongful_actions") or 0.0)
            )
        items = pa.concat_tables(self.kept) if self.kept else ITEM_SCHEMA.empty_table()
        return RunResult(
            self.seed,
            items,
            self.metrics.table(),
            truths,
            backlog,
            costs,
            item_count=self.metrics.items,
        )


def _harm_prevented(scenario: Scenario, model: CostModel, c: Batch) -> float | None:
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


def _simulate_day(scenario: Scenario, bridge: PolicyBridge, seed: int, day: int) -> Batch:
    """A day's items up to their automated decision (rule codes index ``bridge.rules``)."""
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
    use_sync = sync.action != _ALLOW
    # the asynchronous decision only where the synchronous one allowed (it is used only there)
    pending = np.flatnonzero(~use_sync)
    later = bridge.decide(
        population.category[pending], population.declared[pending], score[pending]
    )
    action = sync.action.copy()
    action[pending] = later.action
    rule = sync.rule.copy()  # codes into bridge.rules
    rule[pending] = later.rule
    latency = scenario.latency
    decided_after = np.where(
        use_sync, latency.sync_scan_seconds / 3600.0, latency.async_model_seconds / 3600.0
    )
    return {
        "upload": hours,
        "category": population.category.astype(np.int16),
        "violating": population.violating,
        "score": score,
        "action": action.astype(np.int8),
        "rule": rule.astype(np.int32),
        "decided_after": decided_after,
        "total": np.asarray(engagement.total),
        "t_half": np.asarray(engagement.t_half),
    }


def _finish(scenario: Scenario, c: Batch, seed: int, batch: int) -> dict[str, float]:
    """Enforcement times and damping, the views outcome, appeals (drawn per batch, seeded
    ``[seed, 10_000, batch]``); adds them to ``c`` and returns the batch's truth sums."""
    action = c["action"]
    automated = _IS_ENFORCING[action]  # np.isin(action, _ENFORCING_CODES), by lookup
    confirmed = (action == _REVIEW) & c["violating"] & np.isfinite(c["reviewed_after"])
    enforced = automated | confirmed
    enforced_action = np.where(automated, action, -1).astype(np.int8)
    enforced_action[confirmed] = ACTIONS.index(REVIEW_ACTION)
    acts = scenario.actions
    damping_by = {
        "remove": 1.0,
        "label": acts.label_damping,
        "downrank": acts.downrank_damping,
        "age_gate": acts.age_gate_damping,
    }
    lookup = np.zeros(len(ACTIONS) + 1)  # index -1 (not enforced) → the last entry, 0
    for name, value in damping_by.items():
        lookup[ACTIONS.index(name)] = value
    damping = lookup[enforced_action]
    action_after = np.where(
        automated, c["decided_after"], np.where(confirmed, c["reviewed_after"], np.inf)
    )
    engagement = Engagement(c["total"], c["t_half"], scenario.engagement.half_views_sigma)
    outcome = views_outcome(engagement, action_after, damping)
    threshold = scenario.engagement.viral_threshold
    would_go_viral = c["violating"] & (c["total"] > threshold)
    # engagement.stopped_before_viral, from this outcome (no second views_outcome)
    stopped = would_go_viral & (outcome.realised <= threshold)
    rng = np.random.default_rng([seed, 10_000, batch])
    appealed = enforced & (rng.random(enforced.shape) < scenario.appeals.rate)
    overturned = (
        appealed & ~c["violating"] & (rng.random(enforced.shape) < scenario.appeals.overturn_share)
    )
    c["enforced"], c["automated"], c["enforced_action"] = enforced, automated, enforced_action
    c["action_after"], c["appealed"], c["overturned"] = action_after, appealed, overturned
    c["before"], c["realised"] = np.asarray(outcome.before), np.asarray(outcome.realised)
    violating = c["violating"]
    prevented = np.asarray(outcome.prevented)
    return {
        "views_prevented": float(prevented.sum()),
        "violating_views_prevented": float(prevented[violating].sum()),
        "violating_views_realised": float(c["realised"][violating].sum()),
        "viral_deepfakes_without_moderation": float(np.count_nonzero(would_go_viral)),
        "viral_deepfakes_stopped": float(np.count_nonzero(stopped)),
        "viral_deepfakes_not_stopped": float(np.count_nonzero(would_go_viral & ~stopped)),
    }
