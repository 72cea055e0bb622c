"""The provenance fixtures of docs/examples, scanned through the CLI with the shipped policy."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from deepscreen.cli.app import app

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "write_provenance_fixtures.py"


def load_example():
    spec = importlib.util.spec_from_file_location("write_provenance_fixtures", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_provenance_case_gets_the_policy_decision(runner, tmp_path):
    example = load_example()
    example.main(tmp_path)
    result = runner.invoke(app, ["scan", str(tmp_path), "--db", "memory://"])
    assert result.exit_code == 0, result.output
    got = {Path(r["source"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert {name: r["action"] for name, r in got.items()} == example.EXPECTED
    tampered = got["c2pa_tampered_after_signing.jpg"]
    assert tampered["rule"] == "review_tampered_credentials"
    assert tampered["signals"]["c2pa"]["evidence"]["tampered"] is True
    assert got["sdxl_watermark.png"]["signals"]["watermark"]["evidence"]["bits_matched"] >= 42


def test_uploader_saying_not_ai_sends_declared_ai_to_review(runner, tmp_path):
    load_example().main(tmp_path)
    result = runner.invoke(
        app,
        [
            "scan",
            str(tmp_path / "c2pa_ai_created.jpg"),
            str(tmp_path / "plain_photo.jpg"),
            "--db",
            "memory://",
            "--attr",
            "ai_disclosure=not_ai",
        ],
    )
    assert result.exit_code == 0, result.output
    got = {Path(r["source"]).name: r for r in map(json.loads, result.stdout.splitlines())}
    assert got["c2pa_ai_created.jpg"]["rule"] == "review_declared_ai_contradicts_uploader"
    assert got["plain_photo.jpg"]["action"] == "allow"


def test_table_names_generator_declaration_and_validity(runner, tmp_path):
    load_example().main(tmp_path)
    result = runner.invoke(
        app,
        ["scan", str(tmp_path), "--db", "memory://", "--format", "table"],
        env={"COLUMNS": "240"},
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "C2PA: AI-created (trainedAlgorithmicMedia, in an ingredient)" in out
    assert "Invalid, signer untrusted, TAMPERED (assertion.dataHash.mismatch)" in out
    assert "invisible watermark of SDXL" in out and "48/48 bits" in out
    assert "automatic1111 (png_text:parameters)" in out
    assert "IPTC AI declaration trainedAlgorithmicMedia (xmp:DigitalSourceType)" in out


def test_attr_must_be_name_value(runner, tmp_path):
    result = runner.invoke(app, ["scan", str(tmp_path), "--attr", "oops"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
