"""The ``watermark`` detector: invisible DWT-DCT watermarks that open-source generators embed."""

from deepscreen.signals.watermark.detector import WatermarkDetector

__all__ = ["WatermarkDetector"]
