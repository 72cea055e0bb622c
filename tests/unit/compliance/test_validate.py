"""The local validator: each Transparency Database rule (METRICS.md §2.2) names its field."""

from __future__ import annotations

from typing import Any

import pytest

from deepscreen.compliance.validate import validate_batch, validate_statement


def valid() -> dict[str, Any]:
    """METRICS.md §2.2's minimal valid body for a deepfake labelling decision."""
    return {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_LABELLED"],
        "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
        "incompatible_content_ground": "Terms of Service §4.2 Synthetic and manipulated media",
        "incompatible_content_explanation": "Realistic AI-generated video without disclosure.",
        "content_type": ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_SYNTHETIC_MEDIA"],
        "category": "STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
        "territorial_scope": ["AT", "BE", "DE"],
        "content_date": "2026-05-01",
        "application_date": "2026-05-02",
        "decision_facts": "Automated provenance check found trainedAlgorithmicMedia.",
        "source_type": "SOURCE_VOLUNTARY",
        "automated_detection": "Yes",
        "automated_decision": "AUTOMATED_DECISION_FULLY",
        "puid": "dec-2026-05-02-000001",
    }


def test_valid_statement_when_minimal_body_passes() -> None:
    assert validate_statement(valid()) == []
    assert validate_batch([valid()]) == []


REMOVE = object()

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("required decision_ground", {"decision_ground": REMOVE}, "decision_ground"),
    ("required content_type", {"content_type": []}, "content_type"),
    ("required category", {"category": REMOVE}, "category"),
    ("required territorial_scope", {"territorial_scope": REMOVE}, "territorial_scope"),
    ("required content_date", {"content_date": REMOVE}, "content_date"),
    ("required application_date", {"application_date": REMOVE}, "application_date"),
    ("required decision_facts", {"decision_facts": ""}, "decision_facts"),
    ("required source_type", {"source_type": REMOVE}, "source_type"),
    ("required automated_detection", {"automated_detection": REMOVE}, "automated_detection"),
    ("required automated_decision", {"automated_decision": REMOVE}, "automated_decision"),
    ("required puid", {"puid": REMOVE}, "puid"),
    ("one restriction family", {"decision_visibility": REMOVE}, "decision_visibility"),
    (
        "enum visibility",
        {"decision_visibility": ["DECISION_VISIBILITY_HIDDEN"]},
        "decision_visibility",
    ),
    ("enum monetary", {"decision_monetary": "DECISION_MONETARY_FINE"}, "decision_monetary"),
    ("enum provision", {"decision_provision": "X"}, "decision_provision"),
    ("enum account", {"decision_account": "X"}, "decision_account"),
    ("enum account_type", {"account_type": "ACCOUNT_TYPE_ROBOT"}, "account_type"),
    ("enum ground", {"decision_ground": "DECISION_GROUND_OTHER"}, "decision_ground"),
    ("enum content_type", {"content_type": ["CONTENT_TYPE_DEEPFAKE"]}, "content_type"),
    ("enum category v1", {"category": "STATEMENT_CATEGORY_SCOPE_OF_PLATFORM_SERVICE"}, "category"),
    ("enum category_addition", {"category_addition": ["X"]}, "category_addition"),
    (
        "enum keyword",
        {"category_specification": ["KEYWORD_DANGEROUS_TOYS"]},
        "category_specification",
    ),
    ("enum source", {"source_type": "SOURCE_USER"}, "source_type"),
    ("enum detection", {"automated_detection": "yes"}, "automated_detection"),
    ("enum decision", {"automated_decision": "AUTOMATED_DECISION_YES"}, "automated_decision"),
    (
        "enum incompatible_illegal",
        {"incompatible_content_illegal": "Maybe"},
        "incompatible_content_illegal",
    ),
    ("territorial scope EEA only", {"territorial_scope": ["EL"]}, "territorial_scope"),
    ("array type", {"content_type": "CONTENT_TYPE_VIDEO"}, "content_type"),
    (
        "visibility other required",
        {"decision_visibility": ["DECISION_VISIBILITY_OTHER"]},
        "decision_visibility_other",
    ),
    ("visibility other excluded", {"decision_visibility_other": "x"}, "decision_visibility_other"),
    (
        "monetary other required",
        {"decision_monetary": "DECISION_MONETARY_OTHER"},
        "decision_monetary_other",
    ),
    ("content type other required", {"content_type": ["CONTENT_TYPE_OTHER"]}, "content_type_other"),
    (
        "incompatible ground required",
        {"incompatible_content_ground": REMOVE},
        "incompatible_content_ground",
    ),
    (
        "incompatible explanation required",
        {"incompatible_content_explanation": REMOVE},
        "incompatible_content_explanation",
    ),
    (
        "illegal ground required",
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "incompatible_content_ground": REMOVE,
            "incompatible_content_explanation": REMOVE,
            "illegal_content_explanation": "x",
        },
        "illegal_content_legal_ground",
    ),
    (
        "illegal explanation required",
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "incompatible_content_ground": REMOVE,
            "incompatible_content_explanation": REMOVE,
            "illegal_content_legal_ground": "x",
        },
        "illegal_content_explanation",
    ),
    (
        "illegal fields dropped",
        {"illegal_content_legal_ground": "x"},
        "illegal_content_legal_ground",
    ),
    (
        "incompatible_illegal only for terms",
        {
            "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
            "illegal_content_legal_ground": "x",
            "illegal_content_explanation": "x",
            "incompatible_content_illegal": "Yes",
        },
        "incompatible_content_illegal",
    ),
    ("source identity dropped", {"source_identity": "Acme Rights Ltd"}, "source_identity"),
    ("facts length", {"decision_facts": "x" * 5001}, "decision_facts"),
    ("ground length", {"incompatible_content_ground": "x" * 501}, "incompatible_content_ground"),
    (
        "explanation length",
        {"incompatible_content_explanation": "x" * 2001},
        "incompatible_content_explanation",
    ),
    ("puid length", {"puid": "p" * 501}, "puid"),
    ("puid pattern", {"puid": "dec/1"}, "puid"),
    ("string type", {"decision_facts": 42}, "decision_facts"),
    ("date format", {"content_date": "01/05/2026"}, "content_date"),
    ("impossible date", {"application_date": "2026-02-30"}, "application_date"),
    ("content date bound", {"content_date": "1999-12-31"}, "content_date"),
    ("application date bound", {"application_date": "2019-12-31"}, "application_date"),
    ("application date upper", {"application_date": "2038-01-02"}, "application_date"),
    (
        "end date format",
        {"end_date_visibility_restriction": "soon"},
        "end_date_visibility_restriction",
    ),
    (
        "end date order",
        {"end_date_visibility_restriction": "2026-05-01"},
        "end_date_visibility_restriction",
    ),
    (
        "reference url",
        {"decision_ground_reference_url": "terms#4.2"},
        "decision_ground_reference_url",
    ),
    ("language", {"content_language": "en"}, "content_language"),
    ("content id key", {"content_id": {"ISBN": "1234567890123"}}, "content_id"),
    ("content id digits", {"content_id": {"EAN-13": "123"}}, "content_id"),
    ("unknown field", {"url": "https://example.org"}, "url"),
]


@pytest.mark.parametrize(("changes", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_violation_names_field_when_rule_broken(changes: dict[str, Any], field: str) -> None:
    statement = valid()
    for key, value in changes.items():
        if value is REMOVE:
            del statement[key]
        else:
            statement[key] = value
    violations = validate_statement(statement)
    assert field in {v.field for v in violations}, violations


def test_every_violation_is_reported_when_several_rules_broken() -> None:
    statement = valid() | {"category": "X", "content_date": "x", "automated_detection": "maybe"}
    fields = {v.field for v in validate_statement(statement)}
    assert fields == {"category", "content_date", "automated_detection"}
    assert {v.puid for v in validate_statement(statement)} == {"dec-2026-05-02-000001"}


def test_accepted_optional_values_when_well_formed() -> None:
    statement = valid() | {
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
        "end_date_account_restriction": "2026-06-01",
        "end_date_visibility_restriction": None,
        "decision_ground_reference_url": "https://example.org/terms#4.2",
        "content_language": "EN",
        "content_id": {"EAN-13": "1234567890123"},
        "incompatible_content_illegal": "No",
        "category_specification": ["KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"],
    }
    assert validate_statement(statement) == []


def test_batch_when_puid_repeats_or_size_out_of_range() -> None:
    violations = validate_batch([valid(), valid()])
    assert [(v.puid, v.field) for v in violations] == [("dec-2026-05-02-000001", "puid")]
    assert validate_batch([])[0].field == "statements"
    many = [valid() | {"puid": f"p{i}"} for i in range(101)]
    assert [v.field for v in validate_batch(many)] == ["statements"]
