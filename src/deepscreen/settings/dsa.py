"""DSA statement-of-reasons settings (``[dsa]``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationInfo, field_validator

from deepscreen.compliance.codes import (
    DECISION_GROUNDS,
    EU_COUNTRY_CODES,
    SOURCE_TYPES,
    STATEMENT_CATEGORIES,
)
from deepscreen.compliance.sor import DEFAULT_INCOMPATIBLE_EXPLANATION, SorConfig


class DsaSettings(BaseModel):
    """Platform values of EU DSA statements of reasons (``deepscreen export dsa-sor``).

    Codes are the Transparency Database's (docs/metrics.md, 'Statements of reasons'). The defaults
    describe a platform that labels or removes undisclosed synthetic media under its own terms, on
    its own initiative, for the 27 EU member states: set the ground text and reference URL to your
    terms' clause.
    """

    model_config = ConfigDict(extra="forbid")
    decision_ground: str = Field(
        "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        description="DECISION_GROUND_INCOMPATIBLE_CONTENT (terms) or ..._ILLEGAL_CONTENT (law).",
    )
    incompatible_content_ground: str = Field(
        "Terms of Service: synthetic and manipulated media", max_length=500
    )
    incompatible_content_explanation: str = Field(DEFAULT_INCOMPATIBLE_EXPLANATION, max_length=2000)
    incompatible_content_illegal: Literal["Yes", "No"] | None = None
    illegal_content_legal_ground: str = Field(
        "", max_length=500, description="Law relied on (with decision_ground ILLEGAL_CONTENT)."
    )
    illegal_content_explanation: str = Field("", max_length=2000)
    decision_ground_reference_url: str | None = Field(
        None, max_length=500, description="URL of the terms' clause or the law relied on."
    )
    category: str = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
    category_specification: list[str] = Field(default_factory=lambda: ["KEYWORD_OTHER"])
    category_specification_other: str | None = Field(
        "Undisclosed AI-generated or manipulated media", max_length=500
    )
    territorial_scope: list[str] = Field(
        default_factory=lambda: list(EU_COUNTRY_CODES),
        description="ISO 3166 alpha-2 codes (EEA only) where the restriction applies.",
    )
    content_language: str | None = Field(None, description="Upper-case ISO 639-1, e.g. EN.")
    account_type: Literal["ACCOUNT_TYPE_BUSINESS", "ACCOUNT_TYPE_PRIVATE"] | None = None
    source_type: str = Field(
        "SOURCE_VOLUNTARY", description="SOURCE_VOLUNTARY: the platform's own detection."
    )
    source_identity: str | None = Field(None, max_length=500)
    puid_prefix: str = Field(
        "", pattern=r"^[a-zA-Z0-9\-_]*$", description="Prepended to decision ids (puids)."
    )
    api_url: str | None = Field(
        None,
        description="Transparency Database base URL for `export dsa-sor --submit` (sandbox or "
        "https://transparency.dsa.ec.europa.eu); unset: no submission.",
    )
    api_token: SecretStr | None = Field(
        None,
        description="API bearer token; set it through DEEPSCREEN_DSA__API_TOKEN, not in a file.",
    )
    service_name: str | None = Field(
        None,
        min_length=1,
        description="Name of the service in transparency reports (`export dsa-transparency`).",
    )
    provider_name: str | None = Field(
        None,
        min_length=1,
        description="Name of the service provider in transparency reports (default: the "
        "service name).",
    )

    @field_validator("decision_ground", "category", "source_type")
    @classmethod
    def _known_code(cls, value: str, info: ValidationInfo) -> str:
        allowed = {
            "decision_ground": DECISION_GROUNDS,
            "category": STATEMENT_CATEGORIES,
            "source_type": SOURCE_TYPES,
        }[str(info.field_name)]
        if value not in allowed:
            raise ValueError(f"{value!r} is not one of {sorted(allowed)}")
        return value

    def sor_config(self) -> SorConfig:
        values = self.model_dump(exclude={"api_url", "api_token", "service_name", "provider_name"})
        values["category_specification"] = tuple(self.category_specification)
        values["territorial_scope"] = tuple(self.territorial_scope)
        return SorConfig(**values)
