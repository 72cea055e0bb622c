"""Request bodies and form fields the API parses."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from deepscreen.core.errors import InvalidInput
from deepscreen.core.media import AttributeValue
from deepscreen.service.uploads import MAX_VIEW_OBSERVATIONS

_ATTRIBUTES: TypeAdapter[dict[str, AttributeValue]] = TypeAdapter(
    dict[str, bool | int | float | str]
)
ATTRIBUTES_HELP = (
    'Item attributes as a JSON object of scalars, e.g. `{"category": "news", '
    '"ai_disclosure": "not_ai"}`; the policy reads them as `item.<name>`.'
)


def parse_attributes(text: str | None) -> dict[str, AttributeValue]:
    """The ``attributes`` form field: a JSON object of scalars (empty when absent)."""
    if text is None or not text.strip():
        return {}
    try:
        return _ATTRIBUTES.validate_json(text, strict=True)
    except ValidationError as exc:
        problems = "; ".join(e["msg"] for e in exc.errors()[:3])
        raise InvalidInput(f"attributes must be a JSON object of scalars: {problems}") from exc


class ViewCountIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=512)
    views: int = Field(ge=0, le=10**12, description="New views counted in the window.")
    observed_at: AwareDatetime | None = Field(
        None, description="End of the counting window (ISO 8601 with a zone); default now."
    )


class ViewsIn(BaseModel):
    observations: list[ViewCountIn] = Field(min_length=1, max_length=MAX_VIEW_OBSERVATIONS)


class ViewsRecorded(BaseModel):
    recorded: int
