"""Use cases every shell calls (CLI, API, engines): scanning, review, appeals, takedowns, banks,
impact, replay, reports, DSA exports, ingest, keys, reviewer media, learning, the demo (the
adapters they reach are in ``deepscreen.adapters``). Notes: docs/internals/service.md."""

from __future__ import annotations

from deepscreen.service.observations import record_ground_truth, record_views
from deepscreen.service.scan import (
    ScanFailure,
    ScanOutcome,
    Services,
    decide,
    detector_warnings,
    iter_media_files,
    run_detectors,
    scan_bytes,
    scan_file,
    scan_item,
    scan_paths,
)


def __getattr__(name: str) -> object:
    # the impact summary needs DuckDB and pyarrow: imported when asked for, not with the package
    if name == "impact_summary":
        from deepscreen.service.impact import impact_summary

        return impact_summary
    raise AttributeError(name)


__all__ = [
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
]
