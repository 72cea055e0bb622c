"""What-if sweeps and policy comparisons on the simulator (orchestration of ``run.replicate``),
with deltas paired by seed against the first combination.
Notes: docs/internals/simulate.md."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Required, TypedDict, Unpack

import numpy as np

from deepscreen.core.errors import ConfigError
from deepscreen.policy.bundle import Bundle
from deepscreen.simulate.replicate import Replicated, interval, replicate, summary_bounds
from deepscreen.simulate.scenario import Scenario

__all__ = [
    "FRONTIER_METRICS",
    "Combination",
    "ReplicateFn",
    "Sweep",
    "SweepResult",
    "bundle_label",
    "combinations",
    "compare_policies",
    "parse_sweep",
    "run_sweep",
]

Sweep = tuple[str, list[str]]
"""One swept key and its values, as given (``("detection_latency", ["2s", "1s"])``)."""

FRONTIER_METRICS: tuple[str, ...] = (
    "violating_views_realised",
    "viral_deepfakes_stopped",
    "cost_net_value",
    "sent_to_review",
    "false_positive_rate_any_action",
)
"""Headline metrics of ``SweepResult.frontier()``: harm left, harm stopped, money, review
load and wrongful actions."""


class ReplicateFn(Protocol):
    """The signature of ``run.replicate`` (tests pass a fake)."""

    def __call__(
        self,
        scenario: Scenario,
        bundle: Bundle,
        *,
        replications: int,
        label: str = "",
        signal_names: Sequence[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Replicated: ...


# --------------------------------------------------------------------------- parsing


def parse_sweep(specs: Sequence[str]) -> list[Sweep]:
    """``["detection_latency=2s,1s", "reviewers=3,6"]`` → ``[("detection_latency", ["2s",
    "1s"]), ("reviewers", ["3", "6"])]``.

    Each spec is ``KEY=V1,V2,...``: a key (an alias or a dotted path), ``=``, then one or more
    comma-separated values (surrounding spaces are ignored). Raises ``ValueError`` naming the
    spec on a missing ``=``, an empty key or value, a value given twice, or a key swept twice.
    Whether the key and values make sense for a scenario is checked by ``combinations``.
    """
    sweeps: list[Sweep] = []
    seen: set[str] = set()
    for spec in specs:
        key, sep, raw = spec.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"sweep {spec!r} has no '=': expected KEY=V1,V2 (e.g. reviewers=3,6)")
        if not key or any(c.isspace() for c in key):
            raise ValueError(
                f"sweep {spec!r} needs a key before '=' (an alias such as detection_latency or "
                "a dotted path such as review.reviewers)"
            )
        values = [v.strip() for v in raw.split(",")]
        if not raw.strip() or any(not v for v in values):
            raise ValueError(
                f"sweep {spec!r} has an empty value: expected KEY=V1,V2 with non-empty values"
            )
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"sweep {spec!r} lists {', '.join(repeated)} more than once")
        if key in seen:
            raise ValueError(f"{key!r} is swept twice; give all its values in one KEY=V1,V2")
        seen.add(key)
        sweeps.append((key, values))
    return sweeps


def _value(text: str) -> object:
    """An override value from its text: an int, else a float, else the string (``"2s"``)."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


# --------------------------------------------------------------------------- combinations


@dataclass(frozen=True)
class Combination:
    """One point of a sweep: its label, the values as given, and the validated scenario."""

    label: str
    values: Mapping[str, str]
    scenario: Scenario


def combinations(scenario: Scenario, sweeps: Sequence[Sweep]) -> list[Combination]:
    """Every combination of the sweeps (cartesian product; the first value of each sweep first,
    the last sweep varying fastest), each applied with ``Scenario.with_overrides`` — so every
    bad key or value is found before anything runs. No sweeps: the scenario as given, labelled
    with its name. Raises ``ConfigError`` (all problems at once) on an override the scenario
    refuses, or on a sweep of ``seed`` (it would break the pairing of replications)."""
    if not sweeps:
        return [Combination(scenario.name, {}, scenario)]
    if any(key == "seed" for key, _ in sweeps):
        raise ConfigError(
            "sweeping 'seed' would break the pairing of replications (replication r of every "
            "combination uses seed + r); use more replications instead"
        )
    keys = [key for key, _ in sweeps]
    out: list[Combination] = []
    problems: list[str] = []
    for values in itertools.product(*(vals for _, vals in sweeps)):
        given = dict(zip(keys, values, strict=True))
        label = " ".join(f"{k}={v}" for k, v in given.items())
        try:
            varied = scenario.with_overrides({k: _value(v) for k, v in given.items()})
        except ConfigError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
            continue
        out.append(Combination(label, given, varied))
    if problems:
        raise ConfigError("\n".join(problems))
    return out


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SweepResult:
    """Per combination (first = the reference of every delta): its label, the swept values,
    the seeds, and each replication's scalar results (``RunResult.summary()``).

    The runs themselves (item tables) are kept only when ``run_sweep(..., keep_runs=True)``:
    on a large scenario they are gigabytes."""

    labels: tuple[str, ...]
    values: tuple[Mapping[str, str], ...]
    seeds: tuple[int, ...]
    summaries: tuple[tuple[Mapping[str, float], ...], ...]
    replicated: tuple[Replicated, ...] | None = None

    def metric_names(self) -> list[str]:
        """Every metric any run reported, in first-seen order."""
        return list(dict.fromkeys(name for runs in self.summaries for s in runs for name in s))

    def table(self, metrics: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """One row per combination and metric (combinations in order, then metrics):
        ``combination, metric, value, ci_low, ci_high, n`` — mean and 95% t-interval over
        replications — and ``delta, delta_low, delta_high``: the paired delta against the
        first combination (mean of ``value_r − first_r`` over replications ``r`` where both
        have the metric, with its 95% t-interval). The first combination's delta is ``None``
        (it is the reference); so is any delta without a paired replication. ``metrics``
        restricts and orders the metrics (names no run reported are left out)."""
        names = self.metric_names() if metrics is None else list(metrics)
        first = self.summaries[0]
        rows: list[dict[str, Any]] = []
        for index, (label, runs) in enumerate(zip(self.labels, self.summaries, strict=True)):
            for name in names:
                present = [s[name] for s in runs if name in s]
                if not present and metrics is not None:
                    continue
                row: dict[str, Any] = {
                    "combination": label,
                    "metric": name,
                    **interval(np.asarray(present, dtype=float), bounds=summary_bounds(name)),
                }
                delta: dict[str, Any] = {"value": None, "ci_low": None, "ci_high": None}
                if index > 0:
                    paired = [
                        _difference(s[name], f[name])
                        for s, f in zip(runs, first, strict=True)
                        if name in s and name in f
                    ]
                    if paired:
                        delta = interval(np.asarray(paired, dtype=float))
                row["delta"] = delta["value"]
                row["delta_low"] = delta["ci_low"]
                row["delta_high"] = delta["ci_high"]
                rows.append(row)
        return rows

    def frontier(self, metrics: Sequence[str] = FRONTIER_METRICS) -> list[dict[str, Any]]:
        """One row per combination for plots: ``combination``, each swept key with its value
        as given, then each headline metric's mean over replications (``None`` when no
        replication reported it)."""
        rows = []
        for label, values, runs in zip(self.labels, self.values, self.summaries, strict=True):
            row: dict[str, Any] = {"combination": label, **values}
            for name in metrics:
                present = [s[name] for s in runs if name in s]
                row[name] = float(np.mean(present)) if present else None
            rows.append(row)
        return rows


# --------------------------------------------------------------------------- running


class SweepOptions(TypedDict, total=False):
    """The keyword arguments of ``run_sweep`` and ``compare_policies``: ``replications``
    (required), then ``signal_names`` and ``progress`` (None: none, both passed to
    ``replicate``), ``keep_runs`` (default False) and ``replicate_fn`` (default ``replicate``)."""

    replications: Required[int]
    signal_names: Sequence[str] | None
    progress: Callable[[int], None] | None
    keep_runs: bool
    replicate_fn: ReplicateFn


def run_sweep(
    scenario: Scenario, bundle: Bundle, sweeps: Sequence[Sweep], **options: Unpack[SweepOptions]
) -> SweepResult:
    """Every combination of ``sweeps`` (see ``combinations``; all validated before the first
    run) under ``bundle``, each with ``replicate(..., replications=replications)``. Deltas in
    the result are paired against the first combination (docs/internals/simulate.md).
    ``progress`` is called with 1 per simulated day: ``Σ days × replications`` calls in all."""
    _check_replications(options["replications"])
    plan = combinations(scenario, sweeps)
    runs = [(c.scenario, bundle, c.label) for c in plan]
    return _run(scenario, runs, [c.values for c in plan], **options)


def bundle_label(bundle: Bundle) -> str:
    """``<directory name> <revision>``, e.g. ``default r-1a2b3c4d5e6f``."""
    name = Path(bundle.directory).name or bundle.name
    return f"{name} {bundle.revision}"


def compare_policies(
    scenario: Scenario,
    baseline_bundle: Bundle,
    candidate_bundle: Bundle,
    **options: Unpack[SweepOptions],
) -> SweepResult:
    """The scenario under the baseline, then under the candidate bundle: a ``SweepResult``
    whose first "combination" is the baseline (labels from ``bundle_label``; when both labels
    are equal, `` (baseline)`` / `` (candidate)`` are appended), deltas paired by seed."""
    _check_replications(options["replications"])
    labels = [bundle_label(baseline_bundle), bundle_label(candidate_bundle)]
    if labels[0] == labels[1]:
        labels = [f"{labels[0]} (baseline)", f"{labels[1]} (candidate)"]
    bundles = (baseline_bundle, candidate_bundle)
    runs = [(scenario, b, label) for label, b in zip(labels, bundles, strict=True)]
    return _run(scenario, runs, [{}, {}], **options)


def _check_replications(replications: int) -> None:
    if replications < 1:
        raise ValueError("at least one replication is needed")


def _run(
    scenario: Scenario,
    runs: Sequence[tuple[Scenario, Bundle, str]],
    values: list[Mapping[str, str]],
    **options: Unpack[SweepOptions],
) -> SweepResult:
    """``replicate_fn`` for each (scenario, bundle, label) of ``runs``, in order, then the
    ``SweepResult`` of ``values`` (one per run) paired against ``scenario``'s seeds."""
    replications, replicate_fn = options["replications"], options.get("replicate_fn", replicate)
    replicated = [
        replicate_fn(
            run_scenario,
            bundle,
            replications=replications,
            label=label,
            signal_names=options.get("signal_names"),
            progress=options.get("progress"),
        )
        for run_scenario, bundle, label in runs
    ]
    labels = [label for _, _, label in runs]
    keep_runs = options.get("keep_runs", False)
    return _result(labels, values, scenario, replications, replicated, keep_runs)


def _result(
    labels: list[str],
    values: list[Mapping[str, str]],
    scenario: Scenario,
    replications: int,
    runs: list[Replicated],
    keep_runs: bool,
) -> SweepResult:
    seeds = tuple(scenario.seed + r for r in range(replications))
    for rep in runs:
        got = tuple(run.seed for run in rep.runs)
        if got != seeds:  # the pairing of deltas relies on it
            raise AssertionError(f"{rep.label}: replications ran with seeds {got}, not {seeds}")
    return SweepResult(
        labels=tuple(labels),
        values=tuple(values),
        seeds=seeds,
        summaries=tuple(tuple(run.summary() for run in rep.runs) for rep in runs),
        replicated=tuple(runs) if keep_runs else None,
    )


ROUNDING = 1e-9
"""Relative size below which a paired difference is floating-point rounding, not an effect."""


def _difference(value: float, reference: float) -> float:
    """``value − reference``, or 0 when it is within rounding of the operands: sums of the
    same views accumulated in another order differ by ~1e-16 relative, and a paired interval
    would otherwise report that noise as a significant effect."""
    delta = value - reference
    return 0.0 if abs(delta) <= ROUNDING * max(abs(value), abs(reference)) else delta
