"""C2paDetector passes the detector conformance kit (deepscreen.signals.testing)."""

from __future__ import annotations

from typing import Any

from deepscreen.signals.c2pa.detector import C2paDetector
from deepscreen.signals.testing import parametrize_with_checks


@parametrize_with_checks([C2paDetector()])
def test_c2pa_detector_contract(detector: Any, check: Any) -> None:
    check(detector)
