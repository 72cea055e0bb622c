"""Cost settings (``[costs]``): the inputs of every cost figure and of the threshold optimiser."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CostSettings(BaseModel):
    """Cost inputs. No defaults: every figure that uses them names where they came from.

    Every field carries a description and a ``unit`` (``{currency}`` stands for the currency):
    ``deepscreen costs init`` writes its commented settings file from them.
    """

    model_config = ConfigDict(extra="forbid")
    currency: str = Field(
        "USD",
        description="Currency every cost below is in (a code, e.g. USD or EUR).",
        json_schema_extra={"unit": "currency code"},
    )
    review_cost_per_item: float | None = Field(
        None,
        ge=0,
        description="One human review.",
        json_schema_extra={"unit": "{currency} per reviewed item"},
    )
    reviewer_cost_per_hour: float | None = Field(
        None,
        ge=0,
        description="Alternative to review_cost_per_item, with review_minutes_per_item.",
        json_schema_extra={"unit": "{currency} per reviewer hour"},
    )
    review_minutes_per_item: float | None = Field(
        None,
        gt=0,
        description="Handling time of one review (reviewer hours, capacity).",
        json_schema_extra={"unit": "minutes"},
    )
    monthly_volume: int | None = Field(
        None,
        ge=0,
        description="Uploads per month.",
        json_schema_extra={"unit": "uploads per month"},
    )
    wrongful_action_cost: dict[str, float] = Field(
        default_factory=dict,
        description="Cost of one wrongful action, per action type (label, downrank, age_gate, "
        "remove): creator harm, appeal handling, restoration; the key 'default' applies to "
        "actions without one.",
        json_schema_extra={"unit": "{currency} per wrongful action", "keys": "action"},
    )
    harm_per_violating_view: dict[str, float] = Field(
        default_factory=dict,
        description="Harm of one view of violating content, per severity; the key 'default' "
        "applies to segments without a severity.",
        json_schema_extra={"unit": "{currency} per view", "keys": "severity"},
    )
    severity_by_segment: dict[str, str] = Field(
        default_factory=dict,
        description="Severity name per segment (e.g. politics = high).",
        json_schema_extra={
            "unit": "a severity name (a key of harm_per_violating_view)",
            "keys": "segment",
        },
    )
    viral_views_threshold: int | None = Field(
        None,
        gt=0,
        description="Views above which a violating item counts as a viral incident.",
        json_schema_extra={"unit": "views"},
    )
    brand_damage_per_viral_incident: float | None = Field(
        None,
        ge=0,
        description="Damage to the brand of one viral incident (a violating item past "
        "viral_views_threshold that was not actioned before it).",
        json_schema_extra={"unit": "{currency} per incident"},
    )
