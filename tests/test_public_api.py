"""Pin the public names of the packages other code builds on (httpx test_exported_members)."""

from __future__ import annotations

import deepscreen.media
import deepscreen.service


def test_service_exports():
    assert set(deepscreen.service.__all__) == {
        "ScanFailure",
        "ScanOutcome",
        "Services",
        "decide",
        "impact_summary",
        "iter_media_files",
        "record_ground_truth",
        "record_views",
        "detector_warnings",
        "run_detectors",
        "scan_bytes",
        "scan_file",
        "scan_item",
        "scan_paths",
    }


def test_media_exports():
    assert set(deepscreen.media.__all__) == {
        "MediaLimits",
        "load_media",
        "read_media_file",
        "sniff_mime",
    }
