"""Content Credentials in PDF files: read and declared like an image's, pixels never examined."""

from __future__ import annotations

import pytest

from deepscreen.bootstrap import build
from deepscreen.core.errors import CorruptMedia
from deepscreen.core.media import MediaKind
from deepscreen.media import load_media
from deepscreen.service import scan_bytes
from deepscreen.settings import Settings
from deepscreen.signals.c2pa.detector import C2paDetector
from deepscreen.signals.testing import c2pa_fixtures


@pytest.fixture(scope="module")
def detector() -> C2paDetector:
    d = C2paDetector()
    d.load()
    return d


def test_an_ai_declaring_pdf_scores_as_declared_ai_without_pixels(detector: C2paDetector) -> None:
    item = load_media(c2pa_fixtures.ai_created("application/pdf"), source="doc.pdf")
    assert item.kind is MediaKind.DOCUMENT and item.mime == "application/pdf"
    assert item.pixels is None
    result = detector.detect(item)
    assert result.score == 1.0 and result.evidence["origin"] == "ai_created"
    assert result.evidence["pixels_examined"] is False
    assert "pixels not examined" in result.evidence["summary"]


def test_an_unsigned_pdf_abstains_and_says_pixels_were_not_examined(
    detector: C2paDetector,
) -> None:
    item = load_media(c2pa_fixtures.image("PDF"), source="plain.pdf")
    result = detector.detect(item)
    assert result.abstained and result.evidence["pixels_examined"] is False


def test_a_truncated_pdf_is_refused_with_a_typed_error() -> None:
    data = c2pa_fixtures.image("PDF")
    with pytest.raises(CorruptMedia, match="%%EOF"):
        load_media(data[: len(data) // 2], source="cut.pdf")


def test_the_default_pipeline_labels_a_declared_ai_pdf() -> None:
    services = build(Settings(db_url="memory://"))
    outcome = scan_bytes(services, c2pa_fixtures.ai_created("application/pdf"), source="doc.pdf")
    assert outcome.decision.rule_id == "label_declared_ai"
    by_name = {s.detector: s for s in outcome.signals}
    for name in ("metadata", "watermark", "hashmatch"):
        assert by_name[name].abstained
        assert by_name[name].abstain_reason == "does not handle document media"
    assert by_name["learned"].abstain_reason == "settled by c2pa"
