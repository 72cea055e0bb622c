"""Review settings (``[review]``, with its ``wellness`` table) and the closed loop banking
confirmed violations (``[banking]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, PositiveFloat, SecretStr


class BankingSettings(BaseModel):
    """The closed loop: a review confirming one of ``labels`` as violating banks the item's hash."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    bank: str = Field("confirmed_deepfakes", description="Block bank that receives the hashes.")
    labels: list[str] = Field(default_factory=lambda: ["deepfake"])


class WellnessSettings(BaseModel):
    """Wellness filters of the reviewer UI (``[review.wellness]``): media of these item
    categories is shown blurred and/or greyscale until the reviewer reveals it (key ``b`` or a
    click); each reviewer may change the defaults for themselves (kept server-side). The filter
    state never reaches the decision (docs/review-media.md)."""

    model_config = ConfigDict(extra="forbid")
    attribute: str = Field(
        "category", min_length=1, description="Item attribute whose value names the category."
    )
    blur_categories: list[str] = Field(
        default_factory=list, description="Categories whose media is blurred by default."
    )
    greyscale_categories: list[str] = Field(
        default_factory=list, description="Categories whose media is shown greyscale by default."
    )
    blur_all: bool = Field(False, description="Blur every item's media by default.")
    greyscale_all: bool = Field(False, description="Show every item's media greyscale by default.")
    allow_opt_out: bool = Field(
        True,
        description="Reviewers may turn a filter off for themselves (they may always turn one "
        "on for every item).",
    )


class ReviewSettings(BaseModel):
    """The review queue (``deepscreen review``) and appeals (``deepscreen appeal``).

    Tasks are ranked by expected harm averted per review minute, ``p × severity weight ×
    predicted views ÷ handling minutes`` (docs/metrics.md, 'Review priority and reviewer quality').
    The weights, views and minutes below are placeholders: replace them with your platform's
    measured values.
    """

    model_config = ConfigDict(extra="forbid")
    lease_seconds: float = Field(
        900.0,
        gt=0,
        le=86_400,
        description="How long a claimed task stays with its reviewer without renewal; after "
        "that anyone may claim it (and the first reviewer can no longer decide it).",
    )
    sla_hours: dict[str, PositiveFloat] = Field(
        default_factory=dict,
        description="Deadline per queue, in hours after the decision (appeals: after receipt), "
        "e.g. {provenance = 12, appeals = 72}; other queues use default_sla_hours.",
    )
    default_sla_hours: float = Field(
        24.0, gt=0, description="Deadline of queues not in sla_hours (the DSA-relevant 24 h)."
    )
    default_queue: str = Field(
        "review", min_length=1, description="Queue of a review decision whose rule names none."
    )
    appeals_queue: str = Field("appeals", min_length=1, description="Queue of appeal tasks.")
    gold_queue: str = Field("gold", min_length=1, description="Queue of gold tasks.")
    gold_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Share of claims (0..1) served an already-labelled item, its answer "
        "hidden, to measure reviewer accuracy; 0 turns gold items off.",
    )
    reason_codes: list[str] = Field(
        default_factory=lambda: [
            "ai_generated_undisclosed",
            "deepfake_of_real_person",
            "manipulated_media",
            "disclosed_ai",
            "authentic_media",
            "satire_or_art",
            "insufficient_evidence",
            "new_context_from_appeal",
        ],
        min_length=1,
        description="The reason codes a reviewer must choose from to decide a task or appeal.",
    )
    violating_action: Literal["label", "downrank", "age_gate", "remove"] = Field(
        "remove", description="Action recorded when a reviewer confirms a violation."
    )
    score_signals: list[str] = Field(
        default_factory=lambda: ["ensemble", "learned"],
        description="Signals whose score is the priority's probability p; the first that "
        "scored wins.",
    )
    prior_probability: float = Field(
        0.5, ge=0, le=1, description="p when none of score_signals scored the item."
    )
    segment_attribute: str = Field(
        "category", description="Item attribute whose value selects the severity weight."
    )
    severity_by_segment: dict[str, NonNegativeFloat] = Field(
        default_factory=lambda: {"politics": 3.0, "elections": 3.0, "news": 2.0},
        description="Severity weight per segment (value of segment_attribute).",
    )
    default_severity: float = Field(
        1.0, ge=0, description="Severity weight of segments not in severity_by_segment."
    )
    handling_minutes_by_kind: dict[str, PositiveFloat] = Field(
        default_factory=lambda: {"image": 1.0, "video": 3.0},
        description="Expected review minutes per media kind (measure them: docs/metrics.md).",
    )
    default_handling_minutes: float = Field(
        2.0, gt=0, description="Review minutes of kinds not in handling_minutes_by_kind."
    )
    default_predicted_views: float = Field(
        1000.0, ge=0, description="Predicted views of an item with no ViewsObserved yet."
    )
    pseudonym_secret: SecretStr | None = Field(
        None,
        description="Key of the reviewer pseudonyms in exports (keyed hash); best set through "
        "DEEPSCREEN_REVIEW__PSEUDONYM_SECRET, not in a file. Unset: a random key per process, "
        "so pseudonyms differ between runs.",
    )
    wellness: WellnessSettings = Field(default_factory=lambda: WellnessSettings())
