"""The demo use case: generate a seeded synthetic sample, live through its weeks (uploads scanned,
views, user reports, reviewers), import the truth no person reviewed, summarise."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deepscreen.core.clock import ManualClock
from deepscreen.core.errors import InvalidInput
from deepscreen.demo.sample import DemoItem, generate_sample
from deepscreen.demo.scenario import DemoScenario as DemoScenario
from deepscreen.impact.summary import ImpactSummary
from deepscreen.report.summary_md import summary_lines as summary_lines
from deepscreen.report.summary_md import summary_markdown as summary_markdown
from deepscreen.service.demo_platform import run_platform
from deepscreen.service.impact import impact_summary
from deepscreen.service.observations import record_ground_truth
from deepscreen.service.scan import ScanOutcome, Services

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
    platform: dict[str, Any]
    """What the timeline did: reviews, gold items, notices, views windows, review backlog."""


def run_demo(
    services: Services,
    clock: ManualClock,
    directory: Path,
    scenario: DemoScenario,
    *,
    on_generated: Progress | None = None,
    on_scanned: Progress | None = None,
) -> DemoResult:
    """Generate the sample into ``directory``, walk its timeline through the real use cases
    (``service.demo_platform``: scans at upload, daily views, user notices, synthetic reviewers
    working the review queue), import the synthetic ground truth of the items no person
    reviewed, and summarise from the store.

    ``services`` must have been built with ``clock`` so decisions carry upload times.
    """
    items = generate_sample(directory, scenario, on_generated)
    run = run_platform(services, clock, items, scenario, on_scanned=on_scanned)
    unreviewed = {
        item_id: items[i].label
        for i, item_id in run.item_ids.items()
        if item_id not in run.reviewed
    }
    labels = [(i, scenario.end, label == "ai_generated", label) for i, label in unreviewed.items()]
    record_ground_truth(
        services, labels, reviewer=GROUND_TRUTH_REVIEWER, reason_code="synthetic_label"
    )
    platform = {**run.to_dict(), "labels_imported": len(labels)}
    return DemoResult(
        directory, items, run.outcomes, run.failures, impact_summary(services), platform
    )
