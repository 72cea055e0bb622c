"""The OpenAPI document as committed in ``docs/openapi.json`` (stable JSON text)."""

from __future__ import annotations

import json

from fastapi import FastAPI

REGENERATE = ".venv/bin/deepscreen serve --print-openapi > docs/openapi.json"


def openapi_json(app: FastAPI) -> str:
    return json.dumps(app.openapi(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
