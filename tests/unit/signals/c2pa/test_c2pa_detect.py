"""C2paDetector on signed files made in the test process (c2pa_fixtures): one test per kind."""

from __future__ import annotations

import json

import pytest

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.c2pa.detector import (
    NO_MANIFEST,
    NO_SOURCE_TYPE,
    REMOTE_MANIFEST,
    C2paDetector,
)
from deepscreen.signals.testing import c2pa_fixtures as fixtures
from deepscreen.signals.testing.c2pa_certs import ORGANIZATION, root_pem

DETECTOR = C2paDetector()


def detect(
    data: bytes, mime: str = "image/jpeg", detector: C2paDetector = DETECTOR
) -> SignalResult:
    kind = MediaKind.VIDEO if mime.startswith("video/") else MediaKind.IMAGE
    result = detector.detect(MediaItem(content_item_id(data), kind, mime, 64, 48, data))
    json.dumps(dict(result.evidence), allow_nan=False)
    return result


def source_types(result: SignalResult) -> set[str]:
    return {entry["type"] for entry in result.evidence["digital_source_types"]}


@pytest.mark.parametrize("mime", ["image/jpeg", "image/png", "image/webp", "video/mp4"])
def test_scores_one_as_ai_created_when_manifest_declares_trained_algorithmic_media(
    mime: str,
) -> None:
    result = detect(fixtures.ai_created(mime), mime)
    assert result.score == 1.0, result
    evidence = result.evidence
    assert evidence["origin"] == "ai_created"
    assert evidence["manifest_present"] is True and evidence["manifest_count"] == 1
    assert evidence["validation_state"] == "Valid"
    assert evidence["software_agents"] == [fixtures.AGENT]
    assert evidence["claim_generator"] == fixtures.GENERATOR
    assert evidence["issuer"] == ORGANIZATION
    assert evidence["ai_in_active_manifest"] is True
    assert evidence["tampered"] is False and evidence["binding_intact"] is True


def test_still_scores_one_when_signer_is_untrusted() -> None:
    result = detect(fixtures.ai_created("image/jpeg"))
    assert result.evidence["signer_untrusted"] is True
    assert result.evidence["failure_codes"] == ["signingCredential.untrusted"]
    assert result.score == 1.0
    assert "do not lower the score" in result.evidence["note"]


def test_reads_trusted_when_detector_is_given_the_test_root_as_anchor() -> None:
    trusting = C2paDetector(trust_anchors_pem=root_pem())
    result = detect(fixtures.ai_created("image/jpeg"), detector=trusting)
    assert result.evidence["validation_state"] == "Trusted"
    assert result.evidence["signer_untrusted"] is False
    assert result.evidence["failure_codes"] == []
    assert result.score == 1.0


def test_still_scores_one_when_signing_certificate_has_expired() -> None:
    result = detect(fixtures.expired_signer_jpeg())
    assert result.evidence["cert_expired"] is True
    assert result.evidence["validation_state"] == "Invalid"
    assert result.evidence["tampered"] is False
    assert result.score == 1.0


def test_scores_one_as_ai_edited_when_manifest_declares_composite_with_ai() -> None:
    result = detect(fixtures.ai_edited_jpeg())
    assert result.score == 1.0
    assert result.evidence["origin"] == "ai_edited"
    assert source_types(result) == {"digitalCapture", "compositeWithTrainedAlgorithmicMedia"}


def test_scores_zero_as_captured_when_manifest_declares_digital_capture() -> None:
    result = detect(fixtures.captured_jpeg())
    assert result.score == 0.0, result
    assert result.evidence["origin"] == "captured"
    assert result.evidence["binding_intact"] is True


def test_scores_one_when_ai_is_declared_only_in_an_ingredient_manifest() -> None:
    result = detect(fixtures.ai_in_ingredient_jpeg())
    assert result.score == 1.0
    evidence = result.evidence
    assert evidence["manifest_count"] == 2
    assert evidence["ai_in_active_manifest"] is False
    (declared,) = evidence["digital_source_types"]
    assert declared["type"] == "trainedAlgorithmicMedia"
    assert declared["manifest"] != evidence["active_manifest"]


def test_flags_tampered_and_keeps_ai_score_when_pixels_change_after_signing() -> None:
    result = detect(fixtures.tampered_jpeg())
    assert result.evidence["tampered"] is True
    assert result.evidence["binding_intact"] is False
    assert "assertion.dataHash.mismatch" in result.evidence["failure_codes"]
    assert result.evidence["validation_state"] == "Invalid"
    assert result.score == 1.0  # the declaration stands; the policy weighs the tampering


def test_abstains_when_capture_claim_binding_is_broken() -> None:
    data = bytearray(fixtures.captured_jpeg())
    data[-10] ^= 0x01  # inside the scan data, before EOI
    result = detect(bytes(data))
    assert result.abstained and "binding broken" in (result.abstain_reason or "")
    assert result.evidence["tampered"] is True


def test_abstains_with_no_manifest_when_image_was_re_encoded() -> None:
    result = detect(fixtures.stripped_jpeg())
    assert result.abstained and result.abstain_reason == NO_MANIFEST
    assert result.evidence == {"manifest_present": False}


def test_abstains_as_remote_when_file_only_references_a_cloud_manifest() -> None:
    result = detect(fixtures.remote_reference_jpeg())
    assert result.abstain_reason == REMOTE_MANIFEST
    assert result.evidence["remote_manifest"] is True
    assert result.evidence["remote_url"] == "https://manifests.example.invalid/deepscreen.c2pa"


def test_abstains_when_manifest_declares_no_digital_source_type() -> None:
    result = detect(fixtures.exif_only_jpeg())
    assert result.abstain_reason == NO_SOURCE_TYPE
    assert result.evidence["validation_state"] == "Valid"
    assert result.evidence["claim_generator"] == f"{fixtures.GENERATOR}/1"  # v1 string form


def test_scores_zero_as_algorithmic_when_manifest_declares_algorithmic_media() -> None:
    created = fixtures.action("c2pa.created", "algorithmicMedia")
    result = detect(
        fixtures.sign(fixtures.manifest([created]), "image/png", fixtures.image("PNG")), "image/png"
    )
    assert result.score == 0.0
    assert result.evidence["origin"] == "algorithmic"


def test_abstains_when_mime_is_not_supported_by_c2pa() -> None:
    result = detect(fixtures.ai_created("image/jpeg"), "image/x-unknown")
    assert result.abstained and "not supported" in (result.abstain_reason or "")


def test_abstains_without_reading_when_file_exceeds_size_cap() -> None:
    small = C2paDetector(max_bytes=1000)
    result = detect(fixtures.ai_created("image/jpeg"), detector=small)
    assert result.abstained and "too large" in (result.abstain_reason or "")


def test_abstains_naming_the_error_when_manifest_is_corrupt() -> None:
    data = bytearray(fixtures.ai_created("image/jpeg"))
    start = data.find(b"jumd")
    data[start - 4 : start] = b"\xff\xff\xff\xff"  # the description box claims 4 GiB
    result = detect(bytes(data))
    assert result.abstained
    assert (result.abstain_reason or "").startswith("C2PA manifest unreadable: ")
    assert result.evidence["read_error"]


def test_load_is_lazy_when_detector_is_constructed() -> None:
    detector = C2paDetector()
    assert detector._context is None
    assert detect(fixtures.ai_created("image/jpeg"), detector=detector).score == 1.0
    assert detector._context is not None


def test_summary_says_origin_maker_and_validity_when_ai_is_declared_in_an_ingredient() -> None:
    summary = detect(fixtures.ai_in_ingredient_jpeg()).evidence["summary"]
    assert summary.startswith("C2PA: AI-created (trainedAlgorithmicMedia, in an ingredient)")
    assert "signer untrusted" in summary


def test_summary_flags_tampering_when_pixels_change_after_signing() -> None:
    summary = detect(fixtures.tampered_jpeg()).evidence["summary"]
    assert "TAMPERED (assertion.dataHash.mismatch" in summary


def test_summary_names_capture_and_remote_references() -> None:
    assert (
        detect(fixtures.captured_jpeg())
        .evidence["summary"]
        .startswith("C2PA: camera capture (digitalCapture)")
    )
    remote = detect(fixtures.remote_reference_jpeg()).evidence["summary"]
    assert remote == "C2PA manifest referenced remotely: unverifiable offline"
