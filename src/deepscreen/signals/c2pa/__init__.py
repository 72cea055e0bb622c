"""The ``c2pa`` detector: Content Credentials (C2PA manifests), read strictly offline."""

from deepscreen.signals.c2pa.detector import C2paDetector

__all__ = ["C2paDetector"]
