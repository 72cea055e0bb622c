"""The one number formatter."""

from __future__ import annotations

import pytest

from deepscreen.core.numbers import format_change, format_number, format_value


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (None, "—"),
        (-6.39e-14, "0"),  # floating noise in a cost frontier
        (3e-10, "0"),
        (0.0, "0"),
        (12345.0, "12,345"),
        (-2.0, "-2"),
        (1234.56, "1,235"),
        (123.456, "123.5"),
        (38024.99999999998, "38,025"),  # noise next to a whole number
        (2.5, "2.5"),
        (0.012345, "0.01235"),
        (1e-6, "1e-06"),  # small, but not noise
        (float("inf"), "inf"),
    ],
)
def test_format_number(value: float | None, printed: str) -> None:
    assert format_number(value) == printed


def test_the_missing_marker_is_the_callers() -> None:
    assert format_number(None, missing="n/a") == "n/a"


@pytest.mark.parametrize(
    ("value", "unit", "printed"),
    [
        (0.0123, "share", "1.2%"),
        (0.00871, "share", "0.87%"),
        (1.0, "share", "100%"),
        (0.0, "share", "0%"),
        (-4e-15, "share", "0%"),
        (28467.15, "money", "28,467 USD"),
        (0.5, "money", "0.50 USD"),
        (0.04977, "hours", "0.04977"),
        (None, "share", "—"),
    ],
)
def test_format_value_in_its_unit(value: float | None, unit: str, printed: str) -> None:
    assert format_value(value, unit, currency="USD") == printed


@pytest.mark.parametrize(
    ("value", "unit", "printed"),
    [
        (0.0087, "share", "+0.87 pp"),
        (-3.0, "count", "−3"),
        (-6.39e-14, "money", "0"),
        (5.5, "money", "+5.50 USD"),
        (None, "count", "—"),
    ],
)
def test_format_change_is_signed_and_noise_is_no_change(
    value: float | None, unit: str, printed: str
) -> None:
    assert format_change(value, unit, currency="USD") == printed
