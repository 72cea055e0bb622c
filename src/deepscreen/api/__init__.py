"""The HTTP API (FastAPI) and the reviewer web UI: thin shells over ``deepscreen.service``."""

from __future__ import annotations

from deepscreen.api.app import create_app

__all__ = ["create_app"]
