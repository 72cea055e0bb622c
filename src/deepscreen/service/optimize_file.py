"""The threshold optimisation result file (``OptimizationFile``, version 1): writing it from a
result and reading it back checked, naming the command that wrote another kind of file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from deepscreen.core.errors import ResultFileInvalid

if TYPE_CHECKING:
    from deepscreen.service.optimize import PolicyOptimization


OPTIMIZATION_KIND = "deepscreen.threshold_optimization"
OPTIMIZATION_VERSION = 1
OPTIMIZATION_WHAT = "a threshold optimisation result (deepscreen impact optimize --json FILE)"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CandidateRow(_Strict):
    """One threshold combination (``impact.optimize.Candidate.to_dict``)."""

    thresholds: dict[str, float]
    expected_cost: float
    false_positive_rate: float | None
    false_positives: int
    labelled_non_violating: int
    review_per_day: float
    items_per_action: dict[str, int]
    meets_constraints: bool


class FrontierRow(CandidateRow):
    chosen: bool


class Constraints(_Strict):
    max_fpr: float | None
    review_capacity_per_day: float | None


class OptimizationFile(_Strict):
    """The threshold optimisation result file, version 1: ``ThresholdOptimum.to_dict`` at the
    top level (what the report's frontier section reads), the candidate bundle written and
    the cost inputs used."""

    kind: Literal["deepscreen.threshold_optimization"]
    version: Literal[1]
    actions: list[str]
    thresholds: dict[str, float]
    chosen: CandidateRow
    unconstrained: CandidateRow
    baseline: CandidateRow | None
    binding: list[str]
    constraints: Constraints
    labelled: int
    scored: int
    period_days: float
    grid_size: int
    combinations: int
    currency: str
    frontier: list[FrontierRow]
    assumptions: list[str]
    notes: list[str]
    candidate: dict[str, Any]
    costs: dict[str, Any]


def optimization_document(result: PolicyOptimization) -> dict[str, Any]:
    """The result as the file holds it, validated by the schema ``read_optimization`` reads
    with: a field the optimiser adds without adding it here fails when written, not when a
    report is rendered later."""
    data = {
        "kind": OPTIMIZATION_KIND,
        "version": OPTIMIZATION_VERSION,
        **result.optimum.to_dict(),
        "candidate": result.candidate.to_dict(),
        "costs": result.costs.to_dict(),
    }
    return OptimizationFile.model_validate(data).model_dump(mode="json")


def read_optimization(path: Path) -> dict[str, Any]:
    """The result file at ``path``, checked; ``ResultFileInvalid`` names what is wrong (not
    JSON, another command's result, another version, a missing or mistyped field)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problem = f"cannot read: {exc.strerror}"
        raise ResultFileInvalid(str(path), OPTIMIZATION_WHAT, [problem]) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultFileInvalid(str(path), OPTIMIZATION_WHAT, [f"not JSON ({exc})"]) from exc
    return parse_optimization(data, str(path))


def parse_optimization(data: object, source: str) -> dict[str, Any]:
    """``data`` checked against ``OptimizationFile`` (see ``read_optimization``)."""
    problems = _kind_problems(data)
    if not problems:
        try:
            return OptimizationFile.model_validate(data).model_dump(mode="json")
        except ValidationError as exc:
            problems = [
                f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in exc.errors()
            ]
    raise ResultFileInvalid(source, OPTIMIZATION_WHAT, problems)


_OTHER_RESULTS = (
    ("report_version", "it is a report (deepscreen report --format json)"),
    ("combinations", "it is a simulation (deepscreen simulate --json)"),
    ("evaluation", "it is a detector evaluation (deepscreen eval/train --json)"),
    ("candidate_revision", "it is a policy comparison (deepscreen impact compare --json)"),
    ("optimum", "it was written by an earlier deepscreen, without a kind: run deepscreen "
     "impact optimize --json FILE again"),
)  # fmt: skip


def _kind_problems(data: object) -> list[str]:
    """Why ``data`` is not an optimisation result of a version this code reads, if it is not:
    naming the command that wrote it when its keys tell."""
    if not isinstance(data, dict):
        return [f"holds a JSON {type(data).__name__}, not an object"]
    kind, version = data.get("kind"), data.get("version")
    if kind is None:
        guess = next((why for key, why in _OTHER_RESULTS if key in data), None)
        return [f"no 'kind' field ({guess or 'keys: ' + ', '.join(sorted(map(str, data)))})"]
    if kind != OPTIMIZATION_KIND:
        return [f"kind is {kind!r}, expected {OPTIMIZATION_KIND!r}"]
    if version != OPTIMIZATION_VERSION:
        return [
            f"version {version!r}: this deepscreen reads version {OPTIMIZATION_VERSION}; run "
            "deepscreen impact optimize --json FILE with it"
        ]
    return []
