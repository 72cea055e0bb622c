"""The pydantic schema of a policy file (untrusted YAML is parsed here and nowhere else)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from deepscreen.core.decisions import Action

RULE_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
Scalar = bool | int | float | str
ParamValue = Scalar | list[Scalar]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionSpec(_Strict):
    """What a rule does. ``label`` names the label; ``queue`` the review queue;
    ``violating_action`` (review only) the enforcing action a reviewer's "violating" applies by
    default for items this rule routes (else ``[review] violating_action``)."""

    type: Action
    label: str | None = None
    queue: str | None = None
    reason: str | None = None
    violating_action: Action | None = None

    @model_validator(mode="after")
    def _check_fields(self) -> ActionSpec:
        if self.type is Action.LABEL and not self.label:
            raise ValueError("a label action needs 'label'")
        if self.type is not Action.LABEL and self.label is not None:
            raise ValueError(f"'label' is only allowed on label actions, not {self.type.value}")
        if self.type is not Action.REVIEW and self.queue is not None:
            raise ValueError(f"'queue' is only allowed on review actions, not {self.type.value}")
        if self.violating_action is not None:
            if self.type is not Action.REVIEW:
                raise ValueError(
                    f"'violating_action' is only allowed on review actions, not {self.type.value}"
                )
            if not self.violating_action.is_enforcement:
                raise ValueError(
                    "'violating_action' must be label, downrank, age_gate or remove, not "
                    f"{self.violating_action.value}"
                )
        return self

    def params(self) -> dict[str, str]:
        """The action's parameters as recorded on a Decision (unset ones omitted)."""
        values = {"label": self.label, "queue": self.queue, "reason": self.reason}
        if self.violating_action is not None:
            values["violating_action"] = self.violating_action.value
        if self.type is Action.REVIEW and not self.queue:
            values["queue"] = "default"
        return {k: v for k, v in values.items() if v}


class ParamSpec(_Strict):
    """A named threshold or switch, with its allowed range."""

    value: ParamValue
    min: float | None = None
    max: float | None = None
    description: str = ""

    @model_validator(mode="after")
    def _in_range(self) -> ParamSpec:
        if self.min is not None or self.max is not None:
            if isinstance(self.value, bool) or not isinstance(self.value, int | float):
                raise ValueError(f"value {self.value!r} must be a number when min/max are set")
            if self.min is not None and self.value < self.min:
                raise ValueError(f"value {self.value!r} is below min {self.min!r}")
            if self.max is not None and self.value > self.max:
                raise ValueError(f"value {self.value!r} is above max {self.max!r}")
        return self


class Rule(_Strict):
    id: Annotated[str, Field(min_length=1, max_length=80)]
    when: Annotated[str, Field(min_length=1, max_length=4000)]
    action: ActionSpec
    description: str = ""

    @field_validator("id")
    @classmethod
    def _id_format(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must be lower_snake_case")
        return value


class PolicyFile(_Strict):
    """One YAML file of a bundle. Files are merged in name order; one of them sets ``default``."""

    name: str | None = None
    description: str = ""
    params: dict[str, ParamSpec | ParamValue] = Field(default_factory=dict)
    derived: dict[str, Annotated[str, Field(min_length=1, max_length=4000)]] = Field(
        default_factory=dict
    )
    rules: list[Rule] = Field(default_factory=list)
    default: ActionSpec | None = None
    on_error: ActionSpec | None = None
    optional_signals: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]] = Field(
        default_factory=list,
        description="Detectors the rules read if enabled; when one is not, its signal is an "
        "abstention ('detector not enabled') and rules reading it never match on it.",
    )

    @field_validator("params", "derived")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name in value:
            if not PARAM_NAME.match(name):
                raise ValueError(f"name {name!r} must be lower_snake_case")
        return value


class Expectation(_Strict):
    action: Action
    rule: str | None = None
    label: str | None = None
    queue: str | None = None


class PolicyTestCase(_Strict):
    name: Annotated[str, Field(min_length=1)]
    input: dict[str, Any] = Field(default_factory=dict)
    expect: Expectation

    @field_validator("input")
    @classmethod
    def _input_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - {"signals", "item"}
        if unknown:
            raise ValueError(f"input may only hold 'signals' and 'item', not {sorted(unknown)}")
        return value
