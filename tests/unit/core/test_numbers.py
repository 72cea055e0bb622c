"""The one number formatter."""

from __future__ import annotations

import pytest

from deepscreen.core.numbers import format_number


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (None, "—"),
        (-6.39e-14, "0"),  # floating noise in a cost frontier
        (3e-10, "0"),
        (0.0, "0"),
        (12345.0, "12,345"),
        (-2.0, "-2"),
        (1234.56, "1,234.6"),
        (0.012345, "0.01235"),
        (1e-6, "1e-06"),  # small, but not noise
        (float("inf"), "inf"),
    ],
)
def test_format_number(value: float | None, printed: str) -> None:
    assert format_number(value) == printed


def test_the_missing_marker_is_the_callers() -> None:
    assert format_number(None, missing="n/a") == "n/a"
