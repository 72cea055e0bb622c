"""The HTTP API (FastAPI: ``create_app``, ``routes``, ``schemas``, access control, error mapping,
limits) and the reviewer web UI (``web``): thin shells over ``deepscreen.service``.
Notes: docs/internals/api.md."""

from __future__ import annotations

from deepscreen.api.app import create_app

__all__ = ["create_app"]
