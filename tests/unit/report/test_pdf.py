"""The PDF renderer (WeasyPrint) and the process it runs in."""

from __future__ import annotations


def test_rendering_a_pdf_leaves_pillows_truncated_image_guard_alone() -> None:
    """WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True on import; the media loader
    relies on Pillow's default (False) to refuse truncated files."""
    from PIL import ImageFile

    from deepscreen.report.html import to_pdf

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    pdf, pages = to_pdf("<html><body><p>one page</p></body></html>")
    assert pdf.startswith(b"%PDF") and pages == 1
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
