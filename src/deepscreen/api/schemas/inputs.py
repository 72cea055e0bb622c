"""Request bodies and form fields the API parses, and the bounds on every number in them, so that
no value reaches a store or an engine that would choke on it: a refused number is a 422 naming
it (every bound: docs/reliability-api.md, "Numbers: a 422, never a 500")."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, TypeAdapter, ValidationError

from deepscreen.core.errors import InvalidInput
from deepscreen.core.media import AttributeValue
from deepscreen.service.uploads import MAX_VIEW_OBSERVATIONS

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer every JSON client reads exactly (an IEEE double, as in JavaScript):
the bound of offsets and seeds, far below what SQL takes."""

_ATTRIBUTES: TypeAdapter[dict[str, AttributeValue]] = TypeAdapter(
    dict[str, bool | int | float | str]
)
ATTRIBUTES_HELP = (
    'Item attributes as a JSON object of scalars, e.g. `{"category": "news", '
    '"ai_disclosure": "not_ai"}`; the policy reads them as `item.<name>`. Numbers must be '
    "finite (no NaN or Infinity) and integers 64-bit signed."
)


def parse_attributes(text: str | None) -> dict[str, AttributeValue]:
    """The ``attributes`` form field: a JSON object of scalars (empty when absent)."""
    if text is None or not text.strip():
        return {}
    try:
        attributes = _ATTRIBUTES.validate_json(text, strict=True)
    except ValidationError as exc:
        problems = "; ".join(e["msg"] for e in exc.errors()[:3])
        raise InvalidInput(f"attributes must be a JSON object of scalars: {problems}") from exc
    refused = [p for p in (number_problem(k, v) for k, v in attributes.items()) if p is not None]
    if refused:
        raise InvalidInput(f"attributes refused: {'; '.join(refused[:3])}")
    return attributes


def number_problem(name: str, value: AttributeValue) -> str | None:
    """Why ``value`` cannot be an attribute (None: it can). JSON parsers accept ``NaN`` and
    ``Infinity`` and integers of any size; the stores' JSON and ``BIGINT`` columns do not."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {value!r}: numbers must be finite (JSON has no NaN or Infinity)"
    if isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        return f"{name} is out of range: integers must lie in [-2**63, 2**63 - 1]"
    return None


def _utc_in_range(value: datetime) -> datetime:
    """An aware time as UTC; a time whose UTC form falls outside years 1-9999 is refused
    (``0001-01-01T00:00+14:00`` is valid ISO 8601, but Python cannot convert it)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the time in UTC is outside years 1 to 9999") from exc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]
"""An ISO 8601 time with a zone, converted to UTC (a 422, never a 500, when it cannot be)."""


class ViewCountIn(BaseModel):
    item_id: str = Field(min_length=1, max_length=512)
    views: int = Field(ge=0, le=10**12, description="New views counted in the window.")
    observed_at: UtcDatetime | None = Field(
        None, description="End of the counting window (ISO 8601 with a zone); default now."
    )


class ViewsIn(BaseModel):
    observations: list[ViewCountIn] = Field(min_length=1, max_length=MAX_VIEW_OBSERVATIONS)


class ViewsRecorded(BaseModel):
    recorded: int
