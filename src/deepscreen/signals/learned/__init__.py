"""The ``learned`` detector: a trained head on a feature backbone, scoring pixels; the head, its
views and image normalisation, and the shipped heads (``heads/``)."""

from deepscreen.signals.learned.detector import LearnedDetector

__all__ = ["LearnedDetector"]
