"""Every installed detector passes the conformance kit (deepscreen.signals.testing).

Detectors that need configuration (a trained head, an API endpoint) are checked configured:
``learned`` with a toy head here, ``faces`` with a toy face head and a stand-in face finder
(the real finder on real faces: tests/unit/signals/test_faces.py), ``vendor`` against a local
server in its own tests.
"""

from __future__ import annotations

from typing import Any

from deepscreen.signals.faces.detector import FacesDetector
from deepscreen.signals.learned.detector import LearnedDetector
from deepscreen.signals.registry import discover
from deepscreen.signals.testing import (
    CentreFaceFinder,
    parametrize_with_checks,
    toy_face_head,
    toy_head,
)

NEEDS_CONFIG = {"learned", "faces", "vendor"}
DETECTORS = [cls() for name, cls in sorted(discover().items()) if name not in NEEDS_CONFIG]
DETECTORS.append(LearnedDetector(toy_head()))
DETECTORS.append(FacesDetector(toy_face_head(), finder=CentreFaceFinder()))


@parametrize_with_checks(DETECTORS)
def test_detector_contract(detector: Any, check: Any) -> None:
    check(detector)


def test_every_unconfigured_detector_is_checked() -> None:
    assert set(discover()) - NEEDS_CONFIG <= {type(d).name for d in DETECTORS}
