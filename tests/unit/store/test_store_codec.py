"""The event codec: exact round trips through JSON text, UTC times, refusals as InvalidInput."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from deepscreen.core.errors import InvalidInput
from deepscreen.core.events import DecisionMade, ItemIngested, ViewsObserved
from deepscreen.core.media import AttributeValue, MediaKind
from deepscreen.store.events.codec import (
    decode_decision,
    decode_event,
    encode_decision,
    encode_event,
)
from deepscreen.store.events.rows import check_decision_query, check_kinds
from deepscreen.store.events.testing import T0, every_event_type, make_decision


def _item(**fields: Any) -> ItemIngested:
    """An ItemIngested with test defaults; ``fields`` may hold deliberately wrong types."""
    defaults: dict[str, Any] = {"kind": MediaKind.IMAGE, "mime": "image/png", "width": 1}
    return ItemIngested(item_id="a", occurred_at=T0, height=1, size_bytes=1, **(defaults | fields))


def test_every_event_type_round_trips_through_json_text() -> None:
    for event in every_event_type():
        text, stored = encode_event(event)
        assert stored == event
        assert decode_event(text) == event
        assert json.loads(text)["type"] == event.type


def test_times_are_stored_in_utc_when_given_another_offset() -> None:
    at = datetime(2025, 3, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    text, stored = encode_event(ViewsObserved(item_id="a", occurred_at=at, views=1))
    assert json.loads(text)["occurred_at"] == "2025-03-01T12:00:00Z"
    assert stored.occurred_at == at and stored.occurred_at.utcoffset() == timedelta(0)


def test_attribute_scalars_keep_their_types() -> None:
    attributes: dict[str, AttributeValue] = {"flag": True, "count": 2, "ratio": 2.0, "name": "x"}
    event = _item(attributes=attributes)
    _, stored = encode_event(event)
    assert isinstance(stored, ItemIngested)
    assert {k: type(v) for k, v in stored.attributes.items()} == {
        k: type(v) for k, v in attributes.items()
    }


def test_decision_round_trips() -> None:
    decision = make_decision("a", rule_id=None)
    assert decode_decision(encode_decision(decision)) == decision


def test_naive_datetime_nested_in_decision_is_refused() -> None:
    decision = make_decision("a", at=datetime(2025, 1, 1))
    with pytest.raises(InvalidInput, match=r"decision\.decided_at is a naive datetime"):
        encode_event(DecisionMade(item_id="a", occurred_at=T0, decision=decision))


@pytest.mark.parametrize("bad", [math.nan, math.inf, object()])
def test_values_json_cannot_hold_are_refused(bad: object) -> None:
    event = _item(attributes={"x": bad})
    with pytest.raises(InvalidInput, match="item 'a'"):
        encode_event(event)


def test_wrongly_typed_field_is_refused_before_it_is_stored() -> None:
    event = _item(width="wide")
    with pytest.raises(InvalidInput, match="cannot be stored"):
        encode_event(event)


def test_non_event_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not an event"):
        encode_event(make_decision("a"))  # type: ignore[arg-type]


def test_query_checks_quote_the_bad_value() -> None:
    with pytest.raises(InvalidInput, match="'remov'"):
        check_decision_query("remov", 10, 0)
    with pytest.raises(InvalidInput, match="limit=-1"):
        check_decision_query(None, -1, 0)
    with pytest.raises(InvalidInput, match="'views'"):
        check_kinds(["views"])
    check_kinds(None)
    check_decision_query("allow", 0, 0)


def test_utc_constant_is_what_reads_compare_equal_to() -> None:
    _, stored = encode_event(ViewsObserved(item_id="a", occurred_at=T0, views=0))
    assert stored.occurred_at == T0.astimezone(UTC)
