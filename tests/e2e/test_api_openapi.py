"""The committed OpenAPI document is the app's (a snapshot: regenerate it deliberately)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deepscreen.api.openapi import REGENERATE, openapi_json
from deepscreen.api.serving import openapi_app
from deepscreen.cli.app import app as cli

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_the_committed_openapi_document_is_the_apps() -> None:
    current = openapi_json(openapi_app())
    committed = COMMITTED.read_text(encoding="utf-8")
    assert json.loads(current) == json.loads(committed), (
        f"the API changed: review the change, then regenerate docs/openapi.json with `{REGENERATE}`"
    )
    assert current == committed, f"docs/openapi.json is not formatted as generated: `{REGENERATE}`"


def test_serve_print_openapi_prints_the_document() -> None:
    result = CliRunner().invoke(cli, ["serve", "--print-openapi"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(COMMITTED.read_text(encoding="utf-8"))


def test_every_operation_documents_the_error_shape() -> None:
    document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    for path, item in document["paths"].items():
        for method, operation in item.items():
            errors = {s: r for s, r in operation["responses"].items() if s >= "400"}
            if path != "/status/live":
                assert errors, f"{method} {path} documents no error response"
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
