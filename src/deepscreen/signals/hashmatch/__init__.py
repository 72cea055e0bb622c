"""The ``hashmatch`` detector: PDQ hashes matched against block and allow banks."""

from deepscreen.signals.hashmatch.detector import HashMatchDetector

__all__ = ["HashMatchDetector"]
