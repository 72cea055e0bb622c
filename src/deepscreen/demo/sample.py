"""Write the demo's synthetic platform sample (images + manifest with ground truth and each
item's engagement: lifetime views, time to half of them, the view that brings a report) to disk."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from deepscreen.demo.images import encode, generated_image, noise_pool, real_photo
from deepscreen.demo.reports import NEVER, report_after_views
from deepscreen.demo.scenario import DemoScenario

MANIFEST = "manifest.csv"
FIELDS = (
    "path",
    "label",
    "marker",
    "uploader",
    "category",
    "uploaded_at",
    "views",
    "half_views_hours",
    "report_after_views",
    "scan_wait_minutes",
)


@dataclass(frozen=True, slots=True)
class DemoItem:
    path: Path
    label: str  # "ai_generated" or "real": the synthetic ground truth
    marker: str  # generator metadata written into the file, or "none"
    uploader: str
    category: str
    uploaded_at: datetime
    views: int  # lifetime views if never removed
    half_views_hours: float  # hours after upload to half of them
    report_after_views: int  # the view that brings the first user report (NEVER: none)
    scan_wait_minutes: float = 0.0  # wait in the ingest queue before the scan


def _draw_item(rng: np.random.Generator, s: DemoScenario) -> tuple[str, str | None]:
    if rng.random() < s.ai_share:
        kinds, shares = list(s.marker_mix), list(s.marker_mix.values())
        pick = rng.choice(len(kinds) + 1, p=[*shares, 1.0 - sum(shares)])
        return "ai_generated", kinds[pick] if pick < len(kinds) else None
    return "real", ("a1111" if rng.random() < s.false_marker_share else None)


def generate_sample(
    directory: Path, scenario: DemoScenario, progress: Callable[[int], None] | None = None
) -> list[DemoItem]:
    """Generate ``scenario.n_items`` images under ``directory/items`` and a manifest CSV."""
    rng = np.random.default_rng(scenario.seed)
    noise = noise_pool(rng)
    (directory / "items").mkdir(parents=True, exist_ok=True)
    items = []
    for index in range(scenario.n_items):
        label, marker = _draw_item(rng, scenario)
        image = generated_image(rng) if label == "ai_generated" else real_photo(rng, noise)
        data, ext = encode(image, marker, rng)
        path = directory / "items" / f"{index:05d}{ext}"
        path.write_bytes(data)
        sensitive = rng.random() < scenario.sensitive_share
        pool = scenario.sensitive_categories if sensitive else scenario.categories
        reach = scenario.violating_views_multiplier if label == "ai_generated" else 1.0
        items.append(
            DemoItem(
                path=path,
                label=label,
                marker=marker or "none",
                uploader=f"u{int(rng.integers(scenario.uploaders)):04d}",
                category=str(pool[rng.integers(len(pool))]),
                uploaded_at=scenario.start
                + timedelta(seconds=float(rng.uniform(0, scenario.upload_days * 86400))),
                views=int(rng.lognormal(scenario.views_log_mean, scenario.views_log_sigma) * reach),
                half_views_hours=scenario.half_views_hours_median,
                report_after_views=NEVER,
            )
        )
        if progress is not None:
            progress(1)
    half, after = _timing(scenario, items)
    wait = scan_waits(scenario, len(items))
    items = [
        replace(it, half_views_hours=float(h), report_after_views=int(k), scan_wait_minutes=w)
        for it, h, k, w in zip(items, half, after, wait.tolist(), strict=True)
    ]
    write_manifest(directory / MANIFEST, items)
    return items


def _timing(scenario: DemoScenario, items: list[DemoItem]) -> tuple[np.ndarray, np.ndarray]:
    """Each item's hours to half its views and the view that brings its first report, from a
    stream of their own (the images and labels of a seed do not depend on these parameters)."""
    rng = np.random.default_rng([scenario.seed, 1])
    log_half = rng.standard_normal(len(items)) * scenario.half_views_sigma
    half = scenario.half_views_hours_median * np.exp(log_half)
    ai = np.asarray([it.label == "ai_generated" for it in items], dtype=bool)
    rates = np.where(ai, scenario.report_rate, scenario.false_report_rate)
    views = np.asarray([it.views for it in items], dtype=np.float64)
    return half, report_after_views(rng, rates, views)


def scan_waits(scenario: DemoScenario, n: int) -> np.ndarray:
    """Minutes each upload waits in the ingest queue: log-normal around the scenario's median,
    from a stream of its own."""
    rng = np.random.default_rng([scenario.seed, 3])
    log_wait = rng.standard_normal(n) * scenario.scan_wait_sigma
    return np.asarray(scenario.scan_wait_minutes_median * np.exp(log_wait), dtype=np.float64)


def write_manifest(path: Path, items: list[DemoItem]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(FIELDS)
        for it in items:
            writer.writerow(
                [
                    it.path.relative_to(path.parent).as_posix(),
                    it.label,
                    it.marker,
                    it.uploader,
                    it.category,
                    it.uploaded_at.isoformat(),
                    it.views,
                    f"{it.half_views_hours:.4f}",
                    it.report_after_views,
                    f"{it.scan_wait_minutes:.3f}",
                ]
            )
