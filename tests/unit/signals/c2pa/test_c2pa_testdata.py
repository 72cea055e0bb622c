"""C2paDetector on the stored c2pa-rs fixtures (../shared/testdata), one test per LABELS.csv row,
checked against the row's ``notes`` (validation state, manifest count, source types, failures).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.core.signals import SignalResult
from deepscreen.signals.c2pa.detector import NO_MANIFEST, REMOTE_MANIFEST, C2paDetector

REPO_ROOT = next(p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file())
TESTDATA = REPO_ROOT.parent / "shared" / "testdata" / "c2pa-rs-fixtures"
LABELS = TESTDATA / "LABELS.csv"
DETECTOR = C2paDetector()
_FIELD = re.compile(r"(\w[\w ()]*?)=([^;]*)")

pytestmark = [
    pytest.mark.testdata,
    pytest.mark.skipif(not LABELS.is_file(), reason=f"shared test data not found at {TESTDATA}"),
]


def _rows() -> list[dict[str, str]]:
    if not LABELS.is_file():
        return []
    with LABELS.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _expected(notes: str) -> dict[str, str]:
    """``c2pa: state=Valid; manifests=2; dst(any manifest)=a|b; ...`` -> {state: Valid, ...}."""
    _, _, c2pa_part = notes.partition("c2pa:")
    return {key.strip(): value.strip() for key, value in _FIELD.findall(c2pa_part)}


def _detect(path: str) -> SignalResult:
    data = (TESTDATA / path).read_bytes()
    video = path.endswith(".mp4")
    kind, mime = (MediaKind.VIDEO, "video/mp4") if video else (MediaKind.IMAGE, "image/jpeg")
    return DETECTOR.detect(MediaItem(content_item_id(data), kind, mime, 0, 0, data))


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["path"])
def test_reading_matches_labels_notes_when_file_is_a_c2pa_rs_fixture(row: dict[str, str]) -> None:
    result = _detect(row["path"])
    expected = _expected(row["notes"])
    if "must fetch remote" in row["notes"] or "remote (cloud)" in row["notes"]:
        assert result.abstain_reason == REMOTE_MANIFEST
        assert result.evidence["remote_url"].startswith("https://cai-manifests.adobe.com/")
        return
    if row["notes"].rstrip().endswith("c2pa: none"):
        assert result.abstain_reason == NO_MANIFEST
        return
    evidence = result.evidence
    assert evidence["validation_state"] == expected["state"]
    assert evidence["manifest_count"] == int(expected["manifests"])
    declared = {entry["type"] for entry in evidence["digital_source_types"]}
    dst = expected["dst(any manifest)"]
    assert declared == (set() if dst == "-" else set(dst.split("|")))
    assert set(expected["failures"].split("|")) <= set(evidence["failure_codes"])
    assert expected["issuer"] in evidence["issuers"]
    assert evidence["signer_untrusted"] is True
    if row["label"] in ("ai_generated", "ai_edited"):
        assert result.score == 1.0, result
    else:
        assert result.score != 1.0, result


def test_ocsp_jpg_reads_as_ai_edited_with_ai_in_the_firefly_ingredient() -> None:
    result = _detect("ocsp.jpg")
    assert result.score == 1.0
    assert result.evidence["origin"] == "ai_edited"
    assert result.evidence["ai_in_active_manifest"] is True
    by_type = {e["type"]: e["manifest"] for e in result.evidence["digital_source_types"]}
    assert by_type["trainedAlgorithmicMedia"] != result.evidence["active_manifest"]
    assert any(g.startswith("Adobe_Firefly") for g in result.evidence["claim_generators"])


@pytest.mark.parametrize("path", ["C.jpg", "CACAE-uri-CA.jpg"])
def test_algorithmic_media_scores_zero_not_ai_when_test_gradient(path: str) -> None:
    result = _detect(path)
    assert result.score == 0.0
    assert result.evidence["origin"] == "algorithmic"


@pytest.mark.parametrize(
    ("path", "code"),
    [("XCA.jpg", "assertion.dataHash.mismatch"), ("E-sig-CA.jpg", "claimSignature.mismatch")],
)
def test_flags_tampered_when_fixture_was_altered_after_signing(path: str, code: str) -> None:
    result = _detect(path)
    assert result.evidence["tampered"] is True and code in result.evidence["failure_codes"]
    assert result.abstained  # no source type declared, so nothing to score


def test_capture_claim_scores_zero_when_cawg_file_declares_digital_capture() -> None:
    result = _detect("C_with_CAWG_data.jpg")
    assert result.score == 0.0 and result.evidence["origin"] == "captured"


def test_ims_multiple_manifests_is_not_ai_when_only_soft_binding_and_gradient() -> None:
    result = _detect("ims_multiple_manifests.jpg")
    assert result.score == 0.0  # algorithmicMedia ingredient; binding intact
    assert result.evidence["claim_generator"] == "Adobe_Content_Authenticity"


def test_mp4_is_read_when_bmff_hashed_video() -> None:
    result = _detect("video1.mp4")
    assert result.evidence["manifest_count"] == 2
    assert result.evidence["binding_intact"] is True
    assert result.abstained  # the c2patool test video declares no digital source type
