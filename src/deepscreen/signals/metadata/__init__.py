"""The ``metadata`` detector: what a file's own (unsigned) metadata says about its making."""

from deepscreen.signals.metadata.detector import MetadataDetector

__all__ = ["MetadataDetector"]
