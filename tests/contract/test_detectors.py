"""Every installed detector passes the conformance kit (deepscreen.signals.testing)."""

from __future__ import annotations

from typing import Any

from deepscreen.signals.registry import discover
from deepscreen.signals.testing import parametrize_with_checks

DETECTORS = [cls() for _, cls in sorted(discover().items())]


@parametrize_with_checks(DETECTORS)
def test_detector_contract(detector: Any, check: Any) -> None:
    check(detector)
