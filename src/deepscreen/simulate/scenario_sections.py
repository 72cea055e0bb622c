"""The scenario's sections (uploads, categories, engagement, detector, latency, review,
actions, appeals) and its optional cost inputs, each numeric field with its source."""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self, get_type_hints

from pydantic import ConfigDict, Field, field_validator, model_validator, with_config
from typing_extensions import TypedDict

from deepscreen.simulate.scenario_provenance import _NAME_RE, _mentions_number, _Model, _Sourced

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
