"""The demo use case: generate a seeded synthetic sample, scan it, record its truth, summarise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput
from deepscreen.demo.sample import DemoItem, generate_sample
from deepscreen.demo.scenario import DemoScenario
from deepscreen.impact.summary import ImpactSummary
from deepscreen.service.scan import (
    ScanOutcome,
    Services,
    impact_summary,
    record_ground_truth,
    record_views,
    scan_file,
)

GROUND_TRUTH_REVIEWER = "label-import:demo-synthetic-ground-truth"
Progress = Callable[[int], None]


PIXEL_RULE = "review_likely_ai_pixels"


def pixel_contribution(
    items: list[DemoItem], outcomes: list[ScanOutcome], detector: str = "learned"
) -> dict[str, Any]:
    """What the pixel detector did in the demo, counted from the scan outcomes: how many items
    it scored or skipped (and why), and what the rule it drives sent to review — split by the
    synthetic ground truth, so its contribution (and its false positives) are visible."""
    truth = {i.path.name: i.label for i in items}
    skipped: Counter[str] = Counter()
    scored = {"ai_generated": 0, "real": 0}
    likely_ai = {"ai_generated": 0, "real": 0}
    routed = {"ai_generated": 0, "real": 0}
    for outcome in outcomes:
        result = next((r for r in outcome.signals if r.detector == detector), None)
        if result is None:
            continue
        label = truth.get(Path(outcome.source).name, "real")
        if result.abstained:
            reason = result.abstain_reason or ""
            skipped[reason.split(" (")[0] if reason.startswith("not sampled") else reason] += 1
        else:
            scored[label] += 1
            likely_ai[label] += result.evidence.get("verdict") == "likely_ai"
        if outcome.decision.rule_id == PIXEL_RULE:
            routed[label] += 1
    return {
        "detector": detector,
        "scored": scored,
        "likely_ai": likely_ai,
        "skipped": dict(skipped.most_common()),
        "sent_to_review_by_pixels": routed,
    }


@dataclass(frozen=True)
class DemoResult:
    directory: Path
    items: list[DemoItem]
    outcomes: list[ScanOutcome]
    failures: list[tuple[Path, InvalidInput]]
    summary: ImpactSummary


def run_demo(
    services: Services,
    clock: ManualClock,
    directory: Path,
    scenario: DemoScenario,
    *,
    on_generated: Progress | None = None,
    on_scanned: Progress | None = None,
) -> DemoResult:
    """Generate the sample into ``directory``, scan every file at its synthetic upload time,
    record the synthetic ground truth and views as events, and summarise from the store.

    ``services`` must have been built with ``clock`` so decisions carry upload times.
    """
    items = generate_sample(directory, scenario, on_generated)
    outcomes: list[ScanOutcome] = []
    failures: list[tuple[Path, InvalidInput]] = []
    truth, views = [], []
    for item in sorted(items, key=lambda it: it.uploaded_at):
        clock.set(item.uploaded_at)
        attributes = {"uploader": item.uploader, "category": item.category}
        try:
            outcome = scan_file(services, item.path, attributes=attributes)
        except InvalidInput as exc:
            failures.append((item.path, exc))
            continue
        finally:
            if on_scanned is not None:
                on_scanned(1)
        outcomes.append(outcome)
        truth.append(
            (
                outcome.item_id,
                item.uploaded_at + timedelta(days=1),
                item.label == "ai_generated",
                item.label,
            )
        )
        views.append((outcome.item_id, item.uploaded_at + timedelta(days=7), item.views))
    record_ground_truth(
        services, truth, reviewer=GROUND_TRUTH_REVIEWER, reason_code="synthetic_label"
    )
    record_views(services, views)
    return DemoResult(directory, items, outcomes, failures, impact_summary(services))
