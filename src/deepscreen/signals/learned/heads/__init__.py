"""Heads shipped with deepscreen (JSON); see docs/default-detector.md."""
