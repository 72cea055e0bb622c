"""Scenario: the documented model of a platform the simulator runs — a YAML file whose every
number carries its source; loading, validation and what-if overrides by dotted path.
Notes: docs/internals/simulate.md."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator

from deepscreen.core.errors import ConfigError
from deepscreen.policy.strict_yaml import YamlUnreadable, read_strict
from deepscreen.simulate.scenario_overrides import (
    OVERRIDE_ALIASES,
    _apply_override,
    _OverrideProblem,
    _resolve_alias,
    parse_seconds,
)
from deepscreen.simulate.scenario_provenance import _Model, _provenance_problems
from deepscreen.simulate.scenario_sections import (
    _NUMERIC_COSTS,
    ActionsSection,
    AppealsSection,
    BetaParams,
    Category,
    CostInputs,
    DetectorSection,
    EngagementSection,
    LatencySection,
    ReviewSection,
    UploadsSection,
)

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
                _apply_override(data, path, value, Scenario)
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
