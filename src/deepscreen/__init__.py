"""deepscreen: moderation of generative-AI and deepfake media that measures its own impact."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
