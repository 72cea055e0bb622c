"""Mapping restrictions to statements of reasons: codes, automation, puids, no personal data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deepscreen.compliance.sor import Restriction, SorConfig, puid_for, statement_of_reasons
from deepscreen.compliance.validate import validate_statement

POSTED = datetime(2026, 5, 1, 23, 30, tzinfo=UTC)
APPLIED = datetime(2026, 5, 2, 8, tzinfo=UTC)


def restriction(**changes: object) -> Restriction:
    values: dict[str, object] = {
        "decision_id": "d-000001",
        "action": "label",
        "media_kind": "video",
        "policy_revision": "rev1",
        "rule_id": "label_declared_ai",
        "content_at": POSTED,
        "applied_at": APPLIED,
    }
    values.update(changes)
    return Restriction(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "visibility"),
    [
        ("label", "DECISION_VISIBILITY_CONTENT_LABELLED"),
        ("downrank", "DECISION_VISIBILITY_CONTENT_DEMOTED"),
        ("age_gate", "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED"),
        ("remove", "DECISION_VISIBILITY_CONTENT_REMOVED"),
    ],
)
def test_visibility_when_action_restricts(action: str, visibility: str) -> None:
    statement = statement_of_reasons(restriction(action=action), SorConfig())
    assert statement["decision_visibility"] == [visibility]
    assert validate_statement(statement) == []


def test_default_statement_is_valid_with_synthetic_media_and_dates() -> None:
    statement = statement_of_reasons(restriction(), SorConfig())
    assert statement["content_type"] == ["CONTENT_TYPE_VIDEO", "CONTENT_TYPE_SYNTHETIC_MEDIA"]
    assert statement["content_date"] == "2026-05-01"
    assert statement["application_date"] == "2026-05-02"
    assert statement["decision_ground"] == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert "illegal_content_legal_ground" not in statement
    assert statement["source_type"] == "SOURCE_VOLUNTARY"
    assert len(statement["territorial_scope"]) == 27
    assert validate_statement(statement) == []


@pytest.mark.parametrize(
    ("reviewed", "decided", "expected"),
    [
        (False, False, "AUTOMATED_DECISION_FULLY"),
        (True, False, "AUTOMATED_DECISION_PARTIALLY"),
        (True, True, "AUTOMATED_DECISION_PARTIALLY"),
    ],
)
def test_automated_decision_when_human_involvement(
    reviewed: bool, decided: bool, expected: str
) -> None:
    statement = statement_of_reasons(
        restriction(human_reviewed=reviewed, human_decided=decided), SorConfig()
    )
    assert statement["automated_decision"] == expected
    assert statement["automated_detection"] == "Yes"


def test_illegal_ground_sends_the_legal_pair_when_configured() -> None:
    config = SorConfig(
        decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
        illegal_content_legal_ground="Criminal code §201a",
        illegal_content_explanation="Non-consensual deepfake of a real person.",
    )
    statement = statement_of_reasons(restriction(action="remove"), config)
    assert statement["illegal_content_legal_ground"] == "Criminal code §201a"
    assert "incompatible_content_ground" not in statement
    assert validate_statement(statement) == []


def test_puid_is_stable_and_sanitised_when_decision_id_has_odd_characters() -> None:
    assert puid_for("d-000001") == "d-000001"
    assert puid_for("d-000001", "acme-") == "acme-d-000001"
    odd = puid_for("sha256:abc/1")
    assert odd == puid_for("sha256:abc/1")
    assert odd.startswith("sha256-") and odd != puid_for("sha256:abc/2")
    assert (
        validate_statement(
            statement_of_reasons(restriction(decision_id="sha256:abc/1"), SorConfig())
        )
        == []
    )


def test_unknown_action_when_it_restricts_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="'review'"):
        statement_of_reasons(restriction(action="review"), SorConfig())
