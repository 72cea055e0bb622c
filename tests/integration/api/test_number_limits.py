"""Numbers the API cannot store or use are a 422 with a message, never a 500, over SQLite and
PostgreSQL: NaN and Infinity, integers outside 64 bits in attributes, offsets and seeds past
their documented maxima, times whose UTC form Python cannot hold."""

from __future__ import annotations

from typing import Any

import pytest

from deepscreen.api.schemas.inputs import INT64_MAX, INT64_MIN, MAX_SAFE_INTEGER
from deepscreen.api.testing import ApiHarness, png_bytes
from deepscreen.core.access import Role
from deepscreen.service.items import MAX_OFFSET

BAD_ATTRIBUTES = [
    '{"n": NaN}',
    '{"n": Infinity}',
    '{"n": -Infinity}',
    '{"n": 1e400}',
    f'{{"n": {INT64_MAX + 1}}}',
    f'{{"n": {INT64_MIN - 1}}}',
    '{"n": 99999999999999999999999999999}',
]


def _problem(response: Any) -> str:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["message"]
    return str(error["message"])


def test_the_reported_nan_attribute_on_submit_is_a_422(harness: ApiHarness) -> None:
    response = harness.client.post(
        "/v1/items",
        files={"media": ("a.png", png_bytes(), "image/png")},
        data={"attributes": '{"n": NaN}'},
        headers={**harness.auth(Role.INGEST), "Idempotency-Key": "nan-1"},
    )
    assert "finite" in _problem(response)


def test_the_reported_huge_offset_is_a_422(harness: ApiHarness) -> None:
    response = harness.client.get(
        "/v1/decisions?offset=99999999999999999999", headers=harness.auth(Role.ANALYST)
    )
    assert "offset" in _problem(response)


@pytest.mark.parametrize("attributes", BAD_ATTRIBUTES)
@pytest.mark.parametrize("path", ["/v1/items", "/v1/scan"])
def test_numbers_attributes_cannot_hold_are_refused(
    harness: ApiHarness, path: str, attributes: str
) -> None:
    response = harness.client.post(
        path,
        files={"media": ("a.png", png_bytes(), "image/png")},
        data={"attributes": attributes},
        headers={**harness.auth(Role.INGEST), "Idempotency-Key": f"k-{hash(attributes)}"},
    )
    assert "attributes refused: n " in _problem(response)


@pytest.mark.parametrize("value", [INT64_MAX, INT64_MIN, 1.5e300, -0.0])
def test_numbers_at_the_limits_are_accepted(harness: ApiHarness, value: float) -> None:
    response = harness.client.post(
        "/v1/scan",
        files={"media": ("a.png", png_bytes((1, 2, 3)), "image/png")},
        data={"attributes": f'{{"n": {value!r}}}'},
        headers=harness.auth(Role.INGEST),
    )
    assert response.status_code == 200, response.text


def test_the_largest_offset_is_accepted(harness: ApiHarness) -> None:
    analyst = harness.auth(Role.ANALYST)
    last = harness.client.get(f"/v1/decisions?offset={MAX_OFFSET}", headers=analyst)
    assert last.status_code == 200 and last.json() == {"decisions": [], "next": None}
    past = harness.client.get(f"/v1/decisions?offset={MAX_OFFSET + 1}", headers=analyst)
    assert str(MAX_SAFE_INTEGER) in _problem(past)


@pytest.mark.parametrize(
    "query", ["since=0001-01-01T00:00:00%2B14:00", "until=9999-12-31T23:59:59-14:00"]
)
def test_a_time_outside_the_utc_range_is_a_422(harness: ApiHarness, query: str) -> None:
    response = harness.client.get(f"/v1/decisions?{query}", headers=harness.auth(Role.ANALYST))
    assert "outside years 1 to 9999" in _problem(response)


def test_every_integer_parameter_has_a_maximum_and_refuses_beyond_it(
    harness: ApiHarness,
) -> None:
    """Walks the OpenAPI document: every integer query parameter declares a maximum, and a
    value past it, or one no database integer holds, is a 422 (a new unbounded parameter
    fails here, not in production)."""
    document = harness.app.openapi()
    probed = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                schema = _schema(parameter["schema"])
                if parameter["in"] != "query" or schema.get("type") != "integer":
                    continue
                name = f"{method.upper()} {path} {parameter['name']}"
                assert "maximum" in schema, f"{name} has no maximum"
                for value in (schema["maximum"] + 1, 10**20, -(10**20)):
                    response = harness.client.request(
                        method,
                        path,
                        params={parameter["name"]: str(value)},
                        headers=harness.auth(Role.ADMIN),
                    )
                    assert response.status_code == 422, f"{name}={value}: {response.text}"
                probed.append(name)
    assert len(probed) >= 4  # decisions limit and offset, metrics n_boot and seed, queues limit


def _schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional parameter's schema is ``anyOf: [{the type}, {"type": "null"}]``."""
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return dict(option)
    return schema
