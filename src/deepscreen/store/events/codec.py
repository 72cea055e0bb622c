"""JSON text for events and decisions, via pydantic over the core dataclasses (times in UTC)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, get_args

from pydantic import Field, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from deepscreen.core.decisions import Decision
from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import Event
from deepscreen.store.times import NAIVE, STORES_AWARE_ONLY, require_aware

EVENT_CLASSES: tuple[type, ...] = get_args(Event)
_EVENTS: TypeAdapter[Event] = TypeAdapter(Annotated[Event, Field(discriminator="type")])
_DECISION: TypeAdapter[Decision] = TypeAdapter(Decision)
_JSON: TypeAdapter[Any] = TypeAdapter(Any)
_NAIVE = NAIVE + STORES_AWARE_ONLY


def encode_event(event: Event) -> tuple[str, Event]:
    """Return the event's JSON text and the event exactly as it will read back.

    Raises ``InvalidInput`` for naive datetimes, NaN/infinite floats, values JSON cannot hold,
    or a payload that would not decode (e.g. a wrongly typed field).
    """
    if not isinstance(event, EVENT_CLASSES):
        raise InvalidInput(f"not an event: {event!r}")
    where = f"{event.type} for item {event.item_id!r}"
    try:
        data = _utc(_EVENTS.dump_python(event, warnings="error"), where)
        text = _JSON.dump_json(data).decode()
        return text, _EVENTS.validate_json(text)
    except (PydanticSerializationError, ValidationError) as exc:
        raise InvalidInput(f"{where} cannot be stored: {exc}") from exc


def decode_event(payload: str | bytes) -> Event:
    return _EVENTS.validate_json(payload)


def encode_decision(decision: Decision) -> str:
    """The JSON text of a decision taken from an already encoded (UTC) event."""
    return _DECISION.dump_json(decision).decode()


def decode_decision(payload: str | bytes) -> Decision:
    return _DECISION.validate_json(payload)


def _utc(value: Any, where: str, path: str = "") -> Any:
    """Copy a python-mode dump with every datetime in UTC; refuse naive ones and NaN/inf."""
    if isinstance(value, datetime):
        return require_aware(value, f"{where}: {path or 'value'}", _NAIVE)
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{where}: {path} is {value!r}, which JSON cannot hold")
    if isinstance(value, Mapping):
        return {k: _utc(v, where, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_utc(v, where, f"{path}[{i}]") for i, v in enumerate(value)]
    return value
