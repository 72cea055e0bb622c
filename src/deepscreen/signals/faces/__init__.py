"""The ``faces`` detector: faces found in images and video frames, scored by a face head."""

from deepscreen.signals.faces.detector import FacesDetector

__all__ = ["FacesDetector"]
