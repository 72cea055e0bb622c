"""Scenario: the documented model of a platform the simulator runs — a YAML file whose every
number carries its source; loading, validation and what-if overrides by dotted path.
Notes: docs/internals/simulate.md."""

from __future__ import annotations

import math
import numbers
import os
import re
import types
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal, Self, Union, get_args, get_origin, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict, is_typeddict

from deepscreen.core.errors import ConfigError
from deepscreen.policy.strict_yaml import YamlUnreadable, read_strict

__all__ = [
    "DAYS_PER_MONTH",
    "OVERRIDE_ALIASES",
    "ActionsSection",
    "AppealsSection",
    "BetaParams",
    "Category",
    "CostInputs",
    "DetectorSection",
    "EngagementSection",
    "LatencySection",
    "ReviewSection",
    "Scenario",
    "UploadsSection",
    "load_scenario",
    "parse_scenario",
    "parse_seconds",
    "shipped_scenarios",
]

_PACKAGE = "deepscreen.simulate"
_SCENARIO_DIR = "scenarios"
DAYS_PER_MONTH = 30
"""Days in the month of ``Scenario.cost_inputs()``'s derived ``monthly_volume``."""

OVERRIDE_ALIASES: Mapping[str, str] = {
    "detection_latency": "latency.async_model_seconds",
    "reviewers": "review.reviewers",
}
"""Friendly names for what-if sweeps, mapped to the dotted path they set.

- ``detection_latency`` → ``latency.async_model_seconds``; the value is a duration: a number of
  seconds (``1.5``) or a string ``"1.5"``, ``"2s"``, ``"500ms"``, ``"2min"`` or ``"1h"``
  (``parse_seconds``);
- ``reviewers`` → ``review.reviewers`` (reviewers on shift in each staffed hour).
"""

_ASSUMPTION_MIN_WORDS = 5
_SOURCE_FORMAT = (
    "a one-line '<reference>: <text>' such as \"docs/metrics.md, 'Published figures': …\", "
    "\"docs/signals.md, 'Learned detector': …\", "
    f"or 'assumption: <why, in at least {_ASSUMPTION_MIN_WORDS} words>'"
)
_SOURCE_RE = re.compile(r"^(?P<ref>[^:\n]*[^:\s][^:\n]*):(?P<text>.*)$")
_NAME_RE = r"^[a-z][a-z0-9_]*$"


# --------------------------------------------------------------------------- provenance


def _mentions_number(annotation: Any) -> bool:
    """Whether a field's type holds numbers (int/float, lists of them, numeric sub-models)."""
    if annotation is bool:
        return False
    if annotation is int or annotation is float:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_mentions_number(f.annotation) for f in annotation.model_fields.values())
    return any(_mentions_number(arg) for arg in get_args(annotation) if not isinstance(arg, str))


def _source_problem(field: str, source: object) -> str | None:
    """Why ``source`` is not an acceptable one-line source for ``field``, or ``None``."""
    if not isinstance(source, str) or not source.strip():
        return f"source of {field} is empty; give {_SOURCE_FORMAT}"
    if "\n" in source.strip():
        return f"source of {field} must be one line"
    match = _SOURCE_RE.match(source.strip())
    text = match.group("text").strip() if match else ""
    if match is None or not text:
        return f"source of {field} ({source!r}) is not {_SOURCE_FORMAT}"
    if match.group("ref").strip().lower() == "assumption":
        if len(text.split()) < _ASSUMPTION_MIN_WORDS:
            return (
                f"source of {field} is an assumption without its reasoning ({source!r}); "
                f"say why, in at least {_ASSUMPTION_MIN_WORDS} words"
            )
    return None


def _provenance_problems(
    sources: Mapping[str, str], numeric: Mapping[str, bool], where: str
) -> list[str]:
    """Problems of ``sources`` against the numeric fields (name → value is set) of a section."""
    problems = []
    missing = [name for name, is_set in numeric.items() if is_set and name not in sources]
    if missing:
        problems.append(
            f"no source for {', '.join(missing)}: every number needs provenance in "
            f"{where} ({_SOURCE_FORMAT})"
        )
    unknown = sorted(set(sources) - set(numeric))
    if unknown:
        problems.append(
            f"{where} names {', '.join(map(repr, unknown))}, not numeric fields here "
            f"(numeric fields: {', '.join(numeric) or 'none'})"
        )
    for name in numeric:
        if name in sources and (problem := _source_problem(name, sources[name])):
            problems.append(problem)
    return problems


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class _Sourced(_Model):
    """A section whose every numeric field must have an entry in ``sources``."""

    sources: dict[str, str] = Field(
        default_factory=dict,
        description="Provenance: numeric field name → one-line source ('docs/metrics.md, …: …', "
        "'docs/signals.md, …: …' or 'assumption: <why>'). Every numeric field needs one.",
    )

    @model_validator(mode="after")
    def _every_number_has_a_source(self) -> Self:
        numeric = {
            name: getattr(self, name) is not None
            for name, field in type(self).model_fields.items()
            if name != "sources" and _mentions_number(field.annotation)
        }
        problems = _provenance_problems(self.sources, numeric, "sources")
        if problems:
            raise ValueError("; ".join(problems))
        return self


# --------------------------------------------------------------------------- sections


class UploadsSection(_Sourced):
    per_day: int = Field(
        gt=0, description="Expected uploads per day (items/day; the Poisson mean of a day)."
    )
    hourly_cycle: list[Annotated[float, Field(ge=0)]] = Field(
        min_length=24,
        max_length=24,
        description="Share of a day's uploads in each local hour 0..23 (24 non-negative "
        "weights, unitless); normalised to sum to 1 on load.",
    )

    @field_validator("hourly_cycle")
    @classmethod
    def _normalise(cls, cycle: list[float]) -> list[float]:
        total = math.fsum(cycle)
        if total <= 0:
            raise ValueError("the 24 weights are all zero; at least one hour must have uploads")
        return [w / total for w in cycle]


class Category(_Sourced):
    """One content category; its name is the simulated item's ``item.category``."""

    name: str = Field(
        pattern=_NAME_RE,
        description="Category name (lower_snake), seen by the policy as item.category — the "
        "shipped policies treat 'news', 'politics' and 'elections' as sensitive.",
    )
    share: float = Field(ge=0, le=1, description="Share of all uploads in this category (0..1).")
    severity: str = Field(
        pattern=_NAME_RE,
        description="Severity of a violation here (e.g. high, medium, low); the key of "
        "costs.harm_per_violating_view.",
    )
    ai_share: float = Field(
        ge=0, le=1, description="Share of this category's uploads that are AI-generated (0..1)."
    )
    violating_share_of_ai: float = Field(
        ge=0,
        le=1,
        description="Share of this category's AI-generated uploads that break the policy — "
        "the deepfakes (0..1).",
    )
    declared_share_of_ai: float = Field(
        ge=0,
        le=1,
        description="Share of this category's AI-generated uploads that carry declared "
        "provenance: C2PA Content Credentials or generator metadata (0..1).",
    )


class EngagementSection(_Sourced):
    """Lifetime views and when they arrive; the curve's exact shape is the engagement
    module's ``lognormal_peak`` model."""

    model: Literal["lognormal_peak"] = Field(
        description="Engagement model: lifetime views are lognormal; the time by which half of "
        "them have arrived is lognormal too."
    )
    views_median: float = Field(
        gt=0, description="Median total lifetime views of one item (views)."
    )
    views_sigma: float = Field(
        ge=0,
        description="Lognormal sigma of total lifetime views (natural-log units); sets the heavy "
        "tail.",
    )
    violating_views_multiplier: float = Field(
        ge=0,
        description="Multiplier on the median lifetime views of violating items (unitless; "
        "1 = same as others, >1 = deepfakes travel further).",
    )
    half_views_hours_median: float = Field(
        gt=0,
        description="Median time from upload until an item has half its lifetime views (hours).",
    )
    half_views_sigma: float = Field(
        ge=0, description="Lognormal sigma of that half-views time (natural-log units)."
    )
    viral_threshold: int = Field(
        gt=0, description="Lifetime views above which an item counts as viral (views)."
    )


class BetaParams(_Model):
    a: float = Field(gt=0, description="Beta shape parameter alpha (unitless, > 0).")
    b: float = Field(gt=0, description="Beta shape parameter beta (unitless, > 0).")


class DetectorSection(_Sourced):
    """The learned detector's calibrated score (0..1): either two Beta distributions or the
    per-item scores of a real evaluation (``deepscreen eval --json``)."""

    kind: Literal["beta", "eval_json"] = Field(
        description="'beta': scores drawn from Beta(violating) / Beta(benign); 'eval_json': "
        "scores resampled from the JSON that deepscreen eval --json wrote."
    )
    violating: BetaParams | None = Field(
        None,
        description="kind beta: Beta parameters (unitless) of the score of violating items.",
    )
    benign: BetaParams | None = Field(
        None,
        description="kind beta: Beta parameters (unitless) of the score of non-violating items.",
    )
    path: str | None = Field(
        None,
        description="kind eval_json: path of the evaluation JSON (a file path; relative paths "
        "are resolved against the scenario file's directory by load_scenario).",
    )

    @model_validator(mode="after")
    def _fields_match_kind(self) -> Self:
        if self.kind == "beta":
            missing = [n for n in ("violating", "benign") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"kind 'beta' needs {' and '.join(missing)} ({{a, b}})")
            if self.path is not None:
                raise ValueError("kind 'beta' takes no path (that is for kind 'eval_json')")
        else:
            if not (self.path or "").strip():
                raise ValueError("kind 'eval_json' needs path (the deepscreen eval --json file)")
            extra = [n for n in ("violating", "benign") if getattr(self, n) is not None]
            if extra:
                raise ValueError(f"kind 'eval_json' takes no {' or '.join(extra)} (kind 'beta')")
        return self


class LatencySection(_Sourced):
    sync_scan_seconds: float = Field(
        ge=0,
        description="Upload → decision on provenance/metadata signals, made synchronously "
        "(seconds).",
    )
    async_model_seconds: float = Field(
        ge=0, description="Upload → learned-detector score available, asynchronously (seconds)."
    )


class ReviewSection(_Sourced):
    reviewers: int = Field(ge=0, description="Reviewers on shift in each staffed hour (persons).")
    items_per_reviewer_hour: float = Field(
        gt=0, description="Items one reviewer decides per hour on shift (items/hour)."
    )
    staffed_hours: list[Annotated[int, Field(ge=0, le=23)]] = Field(
        description="Local hours of day (0..23, unique) with reviewers on shift; sorted on load."
    )
    priority: Literal["score", "fifo"] = Field(
        description="Queue order: 'score' = highest detector score first (docs/metrics.md, "
        "'Review priority and reviewer quality'), 'fifo' = oldest first."
    )

    @field_validator("staffed_hours")
    @classmethod
    def _unique_hours(cls, hours: list[int]) -> list[int]:
        repeated = sorted({h for h in hours if hours.count(h) > 1})
        if repeated:
            raise ValueError(f"hours listed more than once: {repeated}")
        return sorted(hours)

    @model_validator(mode="after")
    def _staffed_when_reviewers(self) -> Self:
        if self.reviewers > 0 and not self.staffed_hours:
            raise ValueError(
                "reviewers > 0 but staffed_hours is empty: list the hours they work, "
                "or set reviewers: 0"
            )
        return self


class ActionsSection(_Sourced):
    """What each action prevents of an item's remaining views; removal prevents all of them."""

    label_damping: float = Field(
        ge=0, le=1, description="Fraction of remaining views a label prevents (0..1)."
    )
    downrank_damping: float = Field(
        ge=0, le=1, description="Fraction of remaining views a downrank prevents (0..1)."
    )
    age_gate_damping: float = Field(
        ge=0, le=1, description="Fraction of remaining views an age gate prevents (0..1)."
    )


class AppealsSection(_Sourced):
    rate: float = Field(
        ge=0, le=1, description="Share of enforced items whose uploader appeals (0..1)."
    )
    overturn_share: float = Field(
        ge=0, le=1, description="Share of decided appeals that reverse the action (0..1)."
    )


@with_config(ConfigDict(extra="forbid", allow_inf_nan=False))
class CostInputs(TypedDict, total=False):
    """The keys of ``settings.CostSettings`` (a plain dict, for ``CostModel.from_mapping``)."""

    currency: str
    review_cost_per_item: Annotated[float, Field(ge=0)] | None
    reviewer_cost_per_hour: Annotated[float, Field(ge=0)] | None
    review_minutes_per_item: Annotated[float, Field(gt=0)] | None
    monthly_volume: Annotated[int, Field(ge=0)] | None
    wrongful_action_cost: dict[str, Annotated[float, Field(ge=0)]]
    harm_per_violating_view: dict[str, Annotated[float, Field(ge=0)]]
    severity_by_segment: dict[str, str]
    viral_views_threshold: Annotated[int, Field(gt=0)] | None
    brand_damage_per_viral_incident: Annotated[float, Field(ge=0)] | None


_COST_HINTS = get_type_hints(CostInputs, include_extras=True)
_NUMERIC_COSTS = tuple(k for k, hint in _COST_HINTS.items() if _mentions_number(hint))


# --------------------------------------------------------------------------- scenario


class Scenario(_Model):
    """A documented model of a platform. Sections and field names are a contract: the other
    ``deepscreen.simulate`` modules read them."""

    name: str = Field(min_length=1, description="Scenario name, printed with every output.")
    description: str = Field(description="What platform this models, in a sentence or two.")
    days: int = Field(ge=1, le=366, description="Simulated days (days; a run control).")
    seed: int = Field(ge=0, description="Seed of the random generator (a run control).")
    simulated_note: str = Field(
        description="The sentence every output prints, saying the figures are simulated "
        "(must mention 'simulated')."
    )
    uploads: UploadsSection = Field(description="Upload volume and its daily cycle.")
    categories: list[Category] = Field(
        min_length=1, description="Content categories (names unique, shares sum to 1)."
    )
    engagement: EngagementSection = Field(description="Lifetime views and their timing.")
    detector: DetectorSection = Field(description="Scores of the learned detector.")
    latency: LatencySection = Field(description="When each decision can be made.")
    review: ReviewSection = Field(description="Human review capacity and queue order.")
    actions: ActionsSection = Field(description="Views prevented by each action.")
    appeals: AppealsSection = Field(description="Appeals against enforcement.")
    costs: CostInputs | None = Field(
        None,
        description="Optional cost inputs with the keys of settings.CostSettings, for "
        "deepscreen.impact.costs.CostModel.from_mapping (see cost_inputs()).",
    )
    cost_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Provenance of each numeric key of costs (one line each, as in sources).",
    )

    @field_validator("simulated_note")
    @classmethod
    def _says_simulated(cls, note: str) -> str:
        if not note.strip():
            raise ValueError("must be a non-empty sentence (every simulated output prints it)")
        if "simulat" not in note.lower():
            raise ValueError(f"must say the figures are simulated; got {note!r}")
        return note.strip()

    @field_validator("categories")
    @classmethod
    def _categories_partition_uploads(cls, categories: list[Category]) -> list[Category]:
        problems = []
        first: dict[str, int] = {}
        for index, category in enumerate(categories):
            if category.name in first:
                problems.append(
                    f"duplicate category name {category.name!r} (entries {first[category.name]} "
                    f"and {index})"
                )
            first.setdefault(category.name, index)
        total = math.fsum(c.share for c in categories)
        if abs(total - 1.0) > 1e-6:
            problems.append(f"shares must sum to 1 (± 1e-6), they sum to {total:.6g}")
        if problems:
            raise ValueError("; ".join(problems))
        return categories

    @field_validator("costs")
    @classmethod
    def _costs_agree(cls, costs: CostInputs | None, info: ValidationInfo) -> CostInputs | None:
        if costs is None:
            return None
        problems = []
        engagement = info.data.get("engagement")
        threshold = costs.get("viral_views_threshold")
        if engagement is not None and threshold not in (None, engagement.viral_threshold):
            problems.append(
                f"viral_views_threshold {threshold} differs from engagement.viral_threshold "
                f"{engagement.viral_threshold}; leave it out (cost_inputs() copies it)"
            )
        categories = {c.name: c.severity for c in info.data.get("categories") or []}
        for segment, severity in (costs.get("severity_by_segment") or {}).items():
            if segment in categories and categories[segment] != severity:
                problems.append(
                    f"severity_by_segment.{segment} is {severity!r} but category {segment!r} "
                    f"has severity {categories[segment]!r}"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return costs

    @field_validator("cost_sources")
    @classmethod
    def _costs_sourced(cls, cost_sources: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        if "costs" not in info.data:  # costs itself is invalid; reported there
            return cost_sources
        costs: Mapping[str, Any] = info.data["costs"] or {}
        numeric = {k: costs.get(k) not in (None, {}) for k in _NUMERIC_COSTS}
        problems = _provenance_problems(cost_sources, numeric, "cost_sources")
        if problems:
            raise ValueError("; ".join(problems))
        return cost_sources

    # ----------------------------------------------------------------------- helpers

    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]

    def cost_inputs(self) -> dict[str, Any]:
        """``costs`` for ``CostModel.from_mapping``, completed from the scenario where unset:
        ``severity_by_segment`` from the categories, ``viral_views_threshold`` from
        ``engagement.viral_threshold``, ``monthly_volume`` = ``uploads.per_day`` ×
        ``DAYS_PER_MONTH``. Empty-ish (only those three) when the scenario has no costs."""
        inputs: dict[str, Any] = dict(self.costs or {})
        inputs["severity_by_segment"] = {
            **{c.name: c.severity for c in self.categories},
            **(inputs.get("severity_by_segment") or {}),
        }
        if inputs.get("viral_views_threshold") is None:
            inputs["viral_views_threshold"] = self.engagement.viral_threshold
        if inputs.get("monthly_volume") is None:
            inputs["monthly_volume"] = self.uploads.per_day * DAYS_PER_MONTH
        return inputs

    def with_overrides(self, overrides: Mapping[str, object]) -> Scenario:
        """A copy with dotted-path overrides applied, re-validated as a whole.

        Paths name fields: ``"latency.async_model_seconds"``, ``"review.reviewers"``,
        ``"detector.violating.a"``, ``"costs.review_cost_per_item"``; a category by name or
        index: ``"categories.news.share"``. Aliases (``OVERRIDE_ALIASES``): ``detection_latency``
        (a duration: ``1.5``, ``"2s"``, ``"500ms"``) and ``reviewers``. The source of each
        overridden number becomes ``"override: <path> = <value> …"`` and keeps the old source.
        Raises ``ConfigError`` on an unknown path or a value the scenario refuses.
        """
        data = self.model_dump()
        problems: list[str] = []
        for key, value in overrides.items():
            try:
                path, value = _resolve_alias(key, value)
                _apply_override(data, path, value)
            except _OverrideProblem as exc:
                problems.append(str(exc))
        if problems:
            raise ConfigError(_problem_list(f"scenario {self.name!r}: bad overrides", problems))
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            lines = [f"{_dotted(e['loc'], data)}: {_message(e)}" for e in exc.errors()]
            raise ConfigError(
                _problem_list(f"scenario {self.name!r}: overrides make it invalid", lines)
            ) from exc


# --------------------------------------------------------------------------- overrides


class _OverrideProblem(Exception):
    pass


_DURATION_RE = re.compile(r"^\s*(?P<n>[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(?P<unit>[a-z]*)\s*$")
_UNIT_SECONDS = {
    "": 1.0, "s": 1.0, "sec": 1.0, "ms": 1e-3, "min": 60.0, "m": 60.0, "h": 3600.0,
}  # fmt: skip


def parse_seconds(value: object) -> float:
    """A duration in seconds from a number (seconds) or a string ``"1.5"``, ``"2s"``,
    ``"500ms"``, ``"2min"``, ``"1h"``. Raises ``ValueError`` otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, numbers.Real):  # int, float, numpy scalars
        seconds = float(value)
    elif isinstance(value, str) and (match := _DURATION_RE.match(value.lower())):
        unit = match.group("unit")
        if unit not in _UNIT_SECONDS:
            raise ValueError(f"unknown duration unit {unit!r} in {value!r} (use s, ms, min or h)")
        seconds = float(match.group("n")) * _UNIT_SECONDS[unit]
    else:
        raise ValueError(f"not a duration: {value!r} (a number of seconds, '2s' or '500ms')")
    if not math.isfinite(seconds):
        raise ValueError(f"not a finite duration: {value!r}")
    return seconds


def _resolve_alias(key: str, value: object) -> tuple[str, object]:
    path = OVERRIDE_ALIASES.get(key, key)
    if key == "detection_latency":
        try:
            value = parse_seconds(value)
        except ValueError as exc:
            raise _OverrideProblem(f"{key}: {exc}") from None
    return path, value


def _child_schema(annotation: Any) -> Any:
    """What an override path descends into below a field of this type: a model class, a
    TypedDict, ``("list", item)``, ``("dict", value)``, or ``None`` for a leaf."""
    origin = get_origin(annotation)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if origin is Annotated:
        return _child_schema(args[0])
    if origin in (Union, types.UnionType):
        return _child_schema(args[0]) if len(args) == 1 else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if is_typeddict(annotation):
        return annotation
    if origin is list:
        return ("list", _child_schema(args[0]))
    if origin is dict:
        return ("dict", _child_schema(args[1]))
    return None


def _apply_override(data: dict[str, Any], path: str, value: object) -> None:
    """Set ``path`` in the dumped scenario ``data`` and record the override as the source."""
    parts = path.split(".")
    schema: Any = Scenario
    node: Any = data
    owner: tuple[dict[str, Any], str] | None = None  # (sources mapping, key) of the number
    for depth, part in enumerate(parts):
        here = ".".join(parts[:depth]) or "the scenario"
        key: str | int = part
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            field = schema.model_fields.get(part)
            if field is None:
                known = sorted(schema.model_fields)
                extra = f"; aliases: {', '.join(OVERRIDE_ALIASES)}" if depth == 0 else ""
                raise _OverrideProblem(
                    f"unknown override path {path!r}: {here} has no field {part!r} "
                    f"(fields: {', '.join(known)}{extra})"
                )
            if "sources" in schema.model_fields and part != "sources":
                if _mentions_number(field.annotation):
                    owner = (node.setdefault("sources", {}), part)
            child = _child_schema(field.annotation)
        elif isinstance(schema, type) and is_typeddict(schema):  # costs
            if part not in _COST_HINTS:
                raise _OverrideProblem(
                    f"unknown override path {path!r}: costs has no key {part!r} "
                    f"(keys: {', '.join(_COST_HINTS)})"
                )
            if part in _NUMERIC_COSTS:
                owner = (data.setdefault("cost_sources", {}), part)
            child = _child_schema(_COST_HINTS[part])
        elif isinstance(schema, tuple) and schema[0] == "list":
            key = _list_index(node, part, path, here)
            child = schema[1]
        elif isinstance(schema, tuple) and schema[0] == "dict":
            child = schema[1]
        else:
            raise _OverrideProblem(f"unknown override path {path!r}: {here} is a single value")
        if depth == len(parts) - 1:
            old = node.get(key) if isinstance(node, dict) else node[key]
            node[key] = value
            if owner is not None:
                sources, name = owner
                before = sources.get(name, "none")
                sources[name] = (
                    f"override: {path} = {value!r} for a what-if; the scenario had {old!r} "
                    f"(source: {before})"
                )
            return
        nxt = node.get(key) if isinstance(node, dict) else node[key]
        if nxt is None:
            if child is None:
                raise _OverrideProblem(f"unknown override path {path!r}: {part} is a value")
            nxt = {}
            node[key] = nxt
        node, schema = nxt, child


def _list_index(node: list[Any], part: str, path: str, here: str) -> int:
    if part.isdigit() and int(part) < len(node):
        return int(part)
    for index, item in enumerate(node):
        if isinstance(item, dict) and item.get("name") == part:
            return index
    names = [item.get("name") for item in node if isinstance(item, dict)]
    raise _OverrideProblem(
        f"unknown override path {path!r}: {here} has no entry {part!r} "
        f"(names: {', '.join(map(str, names))}, or an index below {len(node)})"
    )


# --------------------------------------------------------------------------- loading


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped with deepscreen (``load_scenario(name)``)."""
    folder = files(_PACKAGE).joinpath(_SCENARIO_DIR)
    return sorted(
        entry.name.removesuffix(".yaml")
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    )


def load_scenario(path_or_name: str | os.PathLike[str]) -> Scenario:
    """A shipped scenario by name (``"small"``, ``"large"``) or a scenario YAML file.

    Raises ``ConfigError`` listing every problem (dotted location and YAML line) when the file
    cannot be read, is not valid YAML, or does not describe a valid, fully sourced scenario.
    """
    shipped = shipped_scenarios()
    base_dir: Path | None = None
    if isinstance(path_or_name, str) and path_or_name in shipped:
        origin = f"shipped scenario {path_or_name!r}"
        resource = files(_PACKAGE).joinpath(_SCENARIO_DIR, f"{path_or_name}.yaml")
        text = resource.read_text(encoding="utf-8")
    else:
        path = Path(path_or_name)
        origin = f"scenario file {str(path)!r}"
        if not path.is_file():
            raise ConfigError(
                f"{str(path)!r} is neither a shipped scenario ({', '.join(shipped)}) nor a file"
            )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read {origin}: {exc}") from exc
        base_dir = path.parent
    scenario = parse_scenario(text, origin=origin)
    detector = scenario.detector
    if base_dir is not None and detector.path and not Path(detector.path).is_absolute():
        resolved = str(base_dir / detector.path)
        detector = detector.model_copy(update={"path": resolved})
        scenario = scenario.model_copy(update={"detector": detector})
    return scenario


def parse_scenario(text: str, *, origin: str = "scenario") -> Scenario:
    """A scenario from YAML text; ``origin`` names it in errors (see ``load_scenario``)."""
    try:
        parsed = read_strict(text)
    except YamlUnreadable as exc:
        raise ConfigError(f"{origin}: {exc}") from exc
    raw = parsed.value
    if not isinstance(raw, dict):
        kind = "empty" if raw is None else f"a {type(raw).__name__}"
        raise ConfigError(f"{origin}: the top level must be a mapping of sections, got {kind}")
    problems = list(parsed.duplicates)
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            where = _dotted(error["loc"], raw)
            line = parsed.line_of(error["loc"])
            problems.append(f"{where}{f' (line {line})' if line else ''}: {_message(error)}")
        scenario = None
    if problems or scenario is None:
        raise ConfigError(_problem_list(f"{origin} is invalid", problems))
    return scenario


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _dotted(loc: tuple[int | str, ...], raw: Mapping[str, Any]) -> str:
    """``categories.2 (news).share`` — a category index is followed by its name."""
    parts = []
    for depth, part in enumerate(loc):
        text = str(part)
        if depth == 1 and loc[0] == "categories" and isinstance(part, int):
            entries = raw.get("categories")
            entry = entries[part] if isinstance(entries, list) and part < len(entries) else None
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                text += f" ({entry['name']})"
        parts.append(text)
    return ".".join(parts) or "(scenario)"


def _problem_list(title: str, problems: list[str]) -> str:
    count = len(problems)
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{title} ({count} problem{'s' if count != 1 else ''}):\n{lines}"
