"""Choose score thresholds from the store's items and write them into a candidate bundle (params
``<action>_min_score``, boundary tests regenerated); the result file: ``optimize_file``.
The bundle contract: docs/internals/service.md."""

from __future__ import annotations

import math
import shutil
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import yaml

from deepscreen.core.errors import InvalidInput, PolicyError
from deepscreen.impact.costs import CostModel
from deepscreen.impact.items import build_items
from deepscreen.impact.optimize import optimize_thresholds
from deepscreen.impact.optimize_result import ACTIONS, OFF, ThresholdOptimum
from deepscreen.policy.bundle import load_bundle, policy_files
from deepscreen.policy.model import ParamSpec, PolicyFile
from deepscreen.policy.params_edit import set_params
from deepscreen.policy.testing import PolicyTestReport, run_policy_tests
from deepscreen.service.optimize_file import optimization_document
from deepscreen.store.events.arrow import events_table
from deepscreen.store.events.ports import EventStore

__all__ = [
    "GENERATED_TESTS",
    "PARAM_SUFFIX",
    "CandidateBundle",
    "PolicyOptimization",
    "ThresholdParam",
    "check_out_dir",
    "default_thresholds_dir",
    "expected_action",
    "optimization_document",
    "optimize_policy",
    "param_name",
    "threshold_params",
    "threshold_tests",
    "write_candidate_bundle",
]

PARAM_SUFFIX = "_min_score"
GENERATED_TESTS = "thresholds_test.yaml"


def param_name(action: str) -> str:
    return f"{action}{PARAM_SUFFIX}"


def default_thresholds_dir() -> Path:
    """The shipped example bundle with threshold params (``policies/thresholds``)."""
    with as_file(files("deepscreen.policies") / "thresholds") as path:
        return Path(path)


@dataclass(frozen=True)
class ThresholdParam:
    """A ``<action>_min_score`` param a bundle declares, and the file declaring it."""

    action: str
    name: str
    value: float
    min: float | None
    max: float | None
    file: str


def threshold_params(base_dir: str | Path) -> dict[str, ThresholdParam]:
    """The bundle's threshold params, by action in band order; ``PolicyError`` when it
    declares none, or one that is not a number with ``max`` 1.0 (1.0 = off); ``BundleInvalid``
    when the bundle itself is invalid."""
    load_bundle(base_dir)  # every error of an invalid bundle, before reading its params
    found: dict[str, ThresholdParam] = {}
    problems: list[str] = []
    for path in policy_files(Path(base_dir)):
        raw = yaml.safe_load(path.read_bytes()) or {}
        if not isinstance(raw, dict):
            continue
        parsed = PolicyFile.model_validate(raw)
        for action in ACTIONS:
            spec = parsed.params.get(param_name(action))
            if spec is None:
                continue
            if not isinstance(spec, ParamSpec):
                spec = ParamSpec(value=spec)
            value = spec.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"{path.name}: {param_name(action)} must be a number")
                continue
            if spec.max is not None and spec.max < OFF:
                problems.append(
                    f"{path.name}: {param_name(action)} needs max {OFF} ({OFF} turns the rule off)"
                )
            found[action] = ThresholdParam(
                action, param_name(action), float(value), spec.min, spec.max, path.name
            )
    if problems:
        raise PolicyError("; ".join(problems))
    if not found:
        names = ", ".join(param_name(a) for a in ACTIONS)
        raise PolicyError(
            f"{base_dir}: the bundle declares no threshold params ({names}); "
            f"start from the shipped thresholds bundle ({default_thresholds_dir()})"
        )
    return {a: found[a] for a in ACTIONS if a in found}


@dataclass(frozen=True)
class CandidateBundle:
    """A written candidate: where, its revision, what changed and its own test report."""

    directory: str
    base_directory: str
    base_revision: str
    revision: str
    changes: Mapping[str, tuple[float, float]]
    """Param name → (base value, candidate value)."""
    tests: PolicyTestReport

    @property
    def ok(self) -> bool:
        return self.tests.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "base_directory": self.base_directory,
            "base_revision": self.base_revision,
            "revision": self.revision,
            "params": {
                k: {"base": old, "candidate": new} for k, (old, new) in self.changes.items()
            },
            "tests": self.tests.to_dict(),
        }


def write_candidate_bundle(
    base_dir: str | Path,
    out_dir: str | Path,
    thresholds: Mapping[str, float],
    *,
    score_signal: str = "ensemble",
    known_signals: Collection[str] | None = None,
) -> CandidateBundle:
    """Copy the bundle in ``base_dir`` to ``out_dir`` (new or empty) with ``thresholds`` set.

    ``thresholds`` maps actions (``remove``) or param names (``remove_min_score``) to values;
    params not given keep their base values. ``thresholds_test.yaml`` is regenerated for the
    candidate's values; other files are copied as they are. The candidate is loaded (raising
    ``BundleInvalid``) and its tests run; the returned report says whether they passed.
    """
    base, out = Path(base_dir), Path(out_dir)
    params = threshold_params(base)
    values = _normalise(thresholds, params)
    check_out_dir(base, out)
    base_bundle = load_bundle(base, known_signals=known_signals)
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(base.iterdir()):
        if path.is_file() and path.name != GENERATED_TESTS:
            shutil.copy2(path, out / path.name)
    header = (
        f"# Candidate written by deepscreen from bundle {base_bundle.name!r} "
        f"(revision {base_bundle.revision}): "
        + ", ".join(f"{params[a].name} {params[a].value:g} -> {v:g}" for a, v in values.items())
        + "\n"
    )
    for file in sorted({params[a].file for a in values}):
        changed = {params[a].name: v for a, v in values.items() if params[a].file == file}
        text = (base / file).read_text(encoding="utf-8")
        (out / file).write_text(header + set_params(text, changed), encoding="utf-8")
    final = {a: values.get(a, p.value) for a, p in params.items()}
    (out / GENERATED_TESTS).write_text(threshold_tests(final, score_signal), encoding="utf-8")
    report = run_policy_tests(out, known_signals=known_signals)
    return CandidateBundle(
        directory=str(out),
        base_directory=str(base),
        base_revision=base_bundle.revision,
        revision=report.revision,
        changes={params[a].name: (params[a].value, v) for a, v in values.items()},
        tests=report,
    )


def check_out_dir(base: Path, out: Path) -> None:
    """The candidate goes to a new or empty directory other than the base bundle."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InvalidInput(f"{out}: exists and is not an empty directory; choose a new one")
    if out.exists() and out.resolve() == base.resolve():
        raise InvalidInput(f"{out}: is the base bundle; choose a new directory")


def _normalise(
    thresholds: Mapping[str, float], params: Mapping[str, ThresholdParam]
) -> dict[str, float]:
    values: dict[str, float] = {}
    for key, value in thresholds.items():
        action = key.removesuffix(PARAM_SUFFIX)
        if action not in params:
            declared = ", ".join(p.name for p in params.values())
            raise InvalidInput(f"{key!r}: not a threshold param of the bundle ({declared})")
        param = params[action]
        value = float(value)
        low = param.min if param.min is not None else 0.0
        if not (math.isfinite(value) and low <= value <= OFF):
            raise InvalidInput(f"{param.name} = {value!r} is outside [{low:g}, {OFF:g}]")
        values[action] = value
    return {a: values[a] for a in ACTIONS if a in values}


def expected_action(score: float, thresholds: Mapping[str, float]) -> str:
    """The band a score falls in, as the rules apply them (remove, label, review in order;
    a threshold of 1.0 or an undeclared one is off)."""
    for action in ACTIONS:
        value = thresholds.get(action, OFF)
        if value < OFF and score >= value:
            return action
    return "allow"


def threshold_tests(thresholds: Mapping[str, float], score_signal: str = "ensemble") -> str:
    """``thresholds_test.yaml`` for these thresholds: each threshold, the score just below it,
    and the top score 1.0, each expecting the band the rules put it in."""
    scores = {1.0}
    for value in thresholds.values():
        if value < OFF:
            scores.add(float(value))
            if value > 0.0:
                scores.add(math.nextafter(float(value), 0.0))
    cases = []
    for score in sorted(scores, reverse=True):
        action = expected_action(score, thresholds)
        cases.append(
            {
                "name": f"{action}_at_score_{score!r}",
                "input": {"signals": {score_signal: {"score": score}}},
                "expect": {"action": action},
            }
        )
    values = ", ".join(f"{param_name(a)}={thresholds[a]!r}" for a in ACTIONS if a in thresholds)
    header = (
        "# Generated by deepscreen (service.optimize.threshold_tests) and rewritten with every\n"
        "# candidate bundle: do not edit. Cases: each threshold, the score just below it, and\n"
        f"# 1.0, for {values}.\n"
    )
    return header + yaml.safe_dump(cases, sort_keys=False, default_flow_style=None)


@dataclass(frozen=True)
class PolicyOptimization:
    optimum: ThresholdOptimum
    candidate: CandidateBundle
    costs: CostModel
    params: Mapping[str, ThresholdParam]

    def to_dict(self) -> dict[str, Any]:
        """The result file's content (``OptimizationFile``)."""
        return optimization_document(self)


def optimize_policy(
    store: EventStore,
    costs: Mapping[str, Any],
    *,
    base_dir: str | Path,
    out_dir: str | Path,
    max_fpr: float | None = None,
    review_capacity_per_day: float | None = None,
    period_days: float | None = None,
    harm_prevented: Mapping[str, float] | None = None,
    known_signals: Collection[str] | None = None,
    segment_attribute: str = "category",
    score_signal: str = "ensemble",
) -> PolicyOptimization:
    """Read the store's items, choose the base bundle's thresholds (``impact.optimize``) with
    the cost inputs ``costs`` (e.g. ``settings.costs.model_dump()``) and write the candidate."""
    base, out = Path(base_dir), Path(out_dir)
    params = threshold_params(base)
    check_out_dir(base, out)
    load_bundle(base, known_signals=known_signals)
    model = CostModel.from_mapping(costs)
    items = build_items(
        events_table(store), segment_attribute=segment_attribute, score_signal=score_signal
    )
    lowest = max((p.min for p in params.values() if p.min is not None), default=0.0)
    optimum = optimize_thresholds(
        items,
        model,
        max_fpr=max_fpr,
        review_capacity_per_day=review_capacity_per_day,
        period_days=period_days,
        actions=tuple(params),
        harm_prevented=harm_prevented,
        baseline={a: p.value for a, p in params.items()},
        lowest=lowest,
    )
    candidate = write_candidate_bundle(
        base,
        out,
        optimum.chosen.thresholds,
        score_signal=score_signal,
        known_signals=known_signals,
    )
    return PolicyOptimization(optimum, candidate, model, params)
