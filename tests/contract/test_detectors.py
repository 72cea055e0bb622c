"""Every installed detector passes the conformance kit (deepscreen.signals.testing).

Detectors that need configuration (a trained head, an API endpoint) are checked configured:
``learned`` with a toy head here, ``vendor`` against a local server in its own tests.
"""

from __future__ import annotations

from typing import Any

from deepscreen.signals.learned import LearnedDetector
from deepscreen.signals.registry import discover
from deepscreen.signals.testing import parametrize_with_checks, toy_head

NEEDS_CONFIG = {"learned", "vendor"}
DETECTORS = [cls() for name, cls in sorted(discover().items()) if name not in NEEDS_CONFIG]
DETECTORS.append(LearnedDetector(toy_head()))


@parametrize_with_checks(DETECTORS)
def test_detector_contract(detector: Any, check: Any) -> None:
    check(detector)


def test_every_unconfigured_detector_is_checked() -> None:
    assert set(discover()) - NEEDS_CONFIG <= {type(d).name for d in DETECTORS}
