"""MetadataDetector on the stored sd-parsers sample files (../shared/testdata), one test per row."""

from __future__ import annotations

import csv
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from deepscreen.core.media import MediaItem, MediaKind, content_item_id
from deepscreen.signals.metadata.detector import MetadataDetector

REPO_ROOT = Path(__file__).resolve().parents[3]
TESTDATA = REPO_ROOT.parent / "shared" / "testdata" / "sd-parsers-metadata"
LABELS = TESTDATA / "LABELS.csv"
TOOL_BY_FOLDER = {
    "AUTOMATIC1111": "automatic1111",
    "ComfyUI": "comfyui",
    "Fooocus": "fooocus",
    "InvokeAI": "invokeai",
    "NovelAI": "novelai",
}
MIME_BY_SUFFIX = {".png": "image/png", ".jpg": "image/jpeg"}

pytestmark = [
    pytest.mark.testdata,
    pytest.mark.skipif(not LABELS.is_file(), reason=f"shared test data not found at {TESTDATA}"),
]


def _rows(label: str) -> list[str]:
    if not LABELS.is_file():
        return []
    with LABELS.open(newline="") as handle:
        return [row["path"] for row in csv.DictReader(handle) if row["label"] == label]


def _item(relative: str) -> MediaItem:
    data = (TESTDATA / relative).read_bytes()
    try:
        with Image.open(BytesIO(data)) as image:
            width, height = image.size
    except OSError:  # the empty file: the detector must cope, so the test does not refuse it
        width = height = 0
    mime = MIME_BY_SUFFIX.get(Path(relative).suffix, "application/octet-stream")
    return MediaItem(content_item_id(data), MediaKind.IMAGE, mime, width, height, data)


def test_repo_root_is_the_project() -> None:
    assert (REPO_ROOT / "pyproject.toml").is_file()


@pytest.mark.parametrize("relative", _rows("ai_generated"))
def test_ai_generated_file_scores_one_and_names_its_tool(relative: str) -> None:
    result = MetadataDetector().detect(_item(relative))
    assert result.score == 1.0, result
    assert TOOL_BY_FOLDER[relative.split("/")[0]] in result.evidence["tools"]


def test_stealth_file_is_read_from_alpha_lsbs() -> None:
    result = MetadataDetector().detect(_item("AUTOMATIC1111/automatic1111_stealth.png"))
    assert [m["source"] for m in result.evidence["markers"]] == ["png_alpha:stealth_pngcomp"]


@pytest.mark.parametrize("relative", _rows("invalid_file"))
def test_invalid_file_abstains_or_scores_without_raising(relative: str) -> None:
    result = MetadataDetector().detect(_item(relative))
    assert result.abstained or result.score in (0.0, 1.0)


def test_text_after_idat_is_still_found() -> None:
    # Pillow's header parse misses text placed after IDAT; the chunk walk does not.
    result = MetadataDetector().detect(_item("bad_images/text_after_idat.png"))
    assert result.evidence["tools"] == ["automatic1111"]
