"""c2pa.store.read_store on literal manifest-store dicts: origin precedence, flags, odd shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from deepscreen.signals.c2pa.store import MAX_LIST, read_store

IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def manifest(*source_types: str, label: str = "c2pa.actions.v2", **extra: Any) -> dict[str, Any]:
    actions = [{"action": "c2pa.created", "digitalSourceType": IPTC + t} for t in source_types]
    return {"assertions": [{"label": label, "data": {"actions": actions}}], **extra}


def store(*manifests: dict[str, Any], codes: tuple[str, ...] = ()) -> dict[str, Any]:
    labels = [f"urn:c2pa:{i}" for i in range(len(manifests))]
    return {
        "active_manifest": labels[0] if labels else None,
        "manifests": dict(zip(labels, manifests, strict=True)),
        "validation_state": "Invalid" if codes else "Valid",
        "validation_status": [{"code": code} for code in codes],
    }


@pytest.mark.parametrize(
    ("manifests", "origin"),
    [
        ([["digitalCapture"], ["trainedAlgorithmicMedia"]], "ai_created"),
        ([["compositeWithTrainedAlgorithmicMedia", "trainedAlgorithmicMedia"]], "ai_created"),
        ([["compositeWithTrainedAlgorithmicMedia"], ["trainedAlgorithmicData"]], "ai_edited"),
        ([["composite"], ["compositeSynthetic"], ["trainedAlgorithmicMedia"]], "ai_created"),
        ([["digitalCapture"], ["compositeSynthetic"]], "ai_edited"),
        ([["algorithmicMedia"], ["digitalCapture"]], "algorithmic"),
        ([["negativeFilm"]], "captured"),
        ([["digitalCreation", "composite"]], "unknown"),
        ([[]], "unknown"),
    ],
    ids=lambda value: "-".join(map(str, value)) if isinstance(value, list) else value,
)
def test_origin_follows_precedence_when_manifests_disagree(
    manifests: list[list[str]], origin: str
) -> None:
    """The first manifest is the active one: its AI claim wins over its ingredients'."""
    reading = read_store(store(*(manifest(*types) for types in manifests)))
    assert reading.origin == origin


def test_ai_assertion_counts_as_ai_created_when_no_ai_source_type() -> None:
    reading = read_store(store(manifest(label="c2pa.ai_generated_content")))
    assert reading.ai_assertion and reading.origin == "ai_created"


def test_reads_v1_actions_and_string_software_agent_when_claim_is_v1() -> None:
    first = manifest("trainedAlgorithmicMedia", label="c2pa.actions", claim_generator="Tool/1.0")
    first["assertions"][0]["data"]["actions"][0]["softwareAgent"] = "Adobe Firefly"
    reading = read_store(store(first))
    assert reading.software_agents == ["Adobe Firefly"]
    assert reading.claim_generator == "Tool/1.0"
    assert reading.ai_in_active_manifest


def test_reads_template_source_types_when_actions_v2_uses_templates() -> None:
    templated = {
        "actions": [],
        "templates": [{"action": "*", "digitalSourceType": IPTC + "trainedAlgorithmicMedia"}],
    }
    reading = read_store(store({"assertions": [{"label": "c2pa.actions.v2", "data": templated}]}))
    assert reading.origin == "ai_created"


def test_ignores_empty_source_type_when_c2pa_empty_uri() -> None:
    empty = {
        "action": "c2pa.created",
        "digitalSourceType": "http://c2pa.org/digitalsourcetype/empty",
    }
    data = {"actions": [empty]}
    reading = read_store(store({"assertions": [{"label": "c2pa.actions.v2", "data": data}]}))
    assert reading.digital_source_types == []


@pytest.mark.parametrize(
    ("code", "tampered", "intact"),
    [
        ("assertion.dataHash.mismatch", True, False),
        ("assertion.bmffHash.mismatch", True, False),
        ("assertion.hashedURI.mismatch", True, False),
        ("claimSignature.mismatch", True, False),
        ("ingredient.manifest.mismatch", True, False),
        ("claim.hardBindings.missing", False, False),
        ("assertion.bmffHash.malformed", False, False),
        ("signingCredential.expired", False, True),
        ("signingCredential.untrusted", False, True),
    ],
)
def test_binding_flags_follow_failure_codes_when_validation_fails(
    code: str, tampered: bool, intact: bool
) -> None:
    reading = read_store(store(manifest("digitalCapture"), codes=(code,)))
    assert (reading.tampered, reading.binding_intact) == (tampered, intact)
    assert reading.to_evidence()["failure_codes"] == [code]


def test_collects_ingredient_delta_failures_when_validation_results_present() -> None:
    raw = store(manifest("digitalCapture"))
    raw["validation_results"] = {
        "activeManifest": {"failure": [{"code": "signingCredential.untrusted"}]},
        "ingredientDeltas": [
            {"validationDeltas": {"failure": [{"code": "claimSignature.mismatch"}]}}
        ],
    }
    reading = read_store(raw)
    assert reading.failure_codes == ["claimSignature.mismatch", "signingCredential.untrusted"]
    assert reading.tampered


@pytest.mark.parametrize(
    "raw",
    [
        None,
        [],
        "x",
        {"manifests": []},
        {"manifests": {"a": None}},
        {"manifests": {"a": {"assertions": {}}}},
        {"manifests": {"a": {"assertions": [None, 1, {"label": 5, "data": []}]}}},
        {"manifests": {"a": manifest()}, "validation_status": [None, {"code": 3}]},
    ],
)
def test_reads_nothing_and_does_not_raise_when_store_has_wrong_shapes(raw: object) -> None:
    reading = read_store(raw)
    assert reading.origin == "unknown"
    json.dumps(reading.to_evidence())


def test_bounds_evidence_lists_when_store_is_huge() -> None:
    many = {
        "actions": [
            {
                "action": "c2pa.created",
                "digitalSourceType": f"{IPTC}t{i}",
                "softwareAgent": "a" * 500 + str(i),
            }
            for i in range(200)
        ]
    }
    raw = store(
        {"assertions": [{"label": "c2pa.actions.v2", "data": many}]},
        codes=tuple(f"c{i}" for i in range(100)),
    )
    evidence = read_store(raw).to_evidence()
    assert len(evidence["digital_source_types"]) == MAX_LIST
    assert len(evidence["failure_codes"]) == MAX_LIST
    assert len(evidence["software_agents"]) <= MAX_LIST
    assert all(len(agent) <= 200 for agent in evidence["software_agents"])
