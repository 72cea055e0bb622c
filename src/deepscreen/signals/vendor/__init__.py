"""The ``vendor`` detector: an external detection API over HTTP, behind a circuit breaker."""

from deepscreen.signals.vendor.detector import VendorDetector

__all__ = ["VendorDetector"]
