"""Write the demo's synthetic platform sample (images + manifest with ground truth) to disk."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from deepscreen.demo.images import encode, generated_image, noise_pool, real_photo
from deepscreen.demo.scenario import DemoScenario

MANIFEST = "manifest.csv"
FIELDS = ("path", "label", "marker", "uploader", "category", "uploaded_at", "views")


@dataclass(frozen=True, slots=True)
class DemoItem:
    path: Path
    label: str  # "ai_generated" or "real": the synthetic ground truth
    marker: str  # generator metadata written into the file, or "none"
    uploader: str
    category: str
    uploaded_at: datetime
    views: int


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
        items.append(
            DemoItem(
                path=path,
                label=label,
                marker=marker or "none",
                uploader=f"u{int(rng.integers(scenario.uploaders)):04d}",
                category=str(pool[rng.integers(len(pool))]),
                uploaded_at=scenario.start
                + timedelta(seconds=float(rng.uniform(0, scenario.days * 86400))),
                views=int(rng.lognormal(scenario.views_log_mean, scenario.views_log_sigma)),
            )
        )
        if progress is not None:
            progress(1)
    write_manifest(directory / MANIFEST, items)
    return items


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
                ]
            )
