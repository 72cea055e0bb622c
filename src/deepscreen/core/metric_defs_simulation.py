"""Metric definitions of the simulator's truths and of detector evaluation (data)."""

from __future__ import annotations

from deepscreen.core.metric_types import Metric, Unit


def _simulation() -> list[Metric]:
    """Truths only a simulation knows (no interval: one seeded run)."""

    def truth(name: str, label: str, unit: Unit, numerator: str) -> Metric:
        return Metric(name, label, unit, "simulated items", numerator, "", "Simulation truth.")

    return [
        truth("views_prevented", "Views prevented (all items)", "views", "views actions prevented"),
        truth(
            "violating_views_prevented",
            "Views of violating items prevented",
            "views",
            "views of violating items that actions prevented",
        ),
        truth(
            "violating_views_realised",
            "Views of violating items realised",
            "views",
            "views of violating items that happened",
        ),
        truth(
            "viral_deepfakes_without_moderation",
            "Viral violating deepfakes without moderation",
            "count",
            "violating items that would cross the viral threshold unmoderated",
        ),
        truth(
            "viral_deepfakes_stopped",
            "Viral violating deepfakes stopped",
            "count",
            "would-be viral violating items actioned before crossing the threshold",
        ),
        truth(
            "viral_deepfakes_not_stopped",
            "Viral violating deepfakes not stopped",
            "count",
            "would-be viral violating items not actioned in time",
        ),
        truth(
            "review_backlog_final",
            "Review backlog at the end of the run",
            "count",
            "items waiting for review when the run ends",
        ),
        truth(
            "review_backlog_max",
            "Largest review backlog during the run",
            "count",
            "most items waiting for review at any hour",
        ),
        Metric(
            "harm_prevented_simulated",
            "Harm prevented (simulation truth × harm per view)",
            "money",
            "simulated violating items",
            "views of violating items that actions prevented × harm per view",
            "",
            "Simulation truth.",
        ),
        Metric(
            "net_value_simulated",
            "Net value (simulated harm prevented − review labour − wrongful actions)",
            "money",
            "simulated items",
            "harm_prevented_simulated − review labour − wrongful-action cost",
            "",
            "Simulation truth.",
        ),
    ]


def _evaluation() -> list[Metric]:
    """Detector evaluation (``deepscreen train``/``eval``): over labelled images, with
    stratified bootstrap intervals (docs/metrics.md, 'Detector evaluation')."""
    interval = "95% stratified bootstrap over images"
    images = "labelled evaluation images"
    return [
        Metric(
            "auc",
            "AUC (area under the ROC curve)",
            "score",
            images,
            "P(score of an AI image > score of a real image)",
            "",
            "Rank statistic.",
            interval,
        ),
        Metric(
            "average_precision",
            "Average precision (area under the precision-recall curve)",
            "score",
            images,
            "Σ over thresholds of (recall step) × precision",
            "",
            "",
            interval,
        ),
        Metric(
            "tpr_at_1pct_fpr",
            "True-positive rate at a 1% false-positive rate",
            "score",
            images,
            "AI images scored above the threshold that flags 1% of real images",
            "AI images",
            "",
            interval,
        ),
        Metric(
            "tpr_at_5pct_fpr",
            "True-positive rate at a 5% false-positive rate",
            "score",
            images,
            "AI images scored above the threshold that flags 5% of real images",
            "AI images",
            "",
            interval,
        ),
        Metric(
            "ece",
            "Expected calibration error",
            "score",
            images,
            "Σ over score bins of |mean score − share AI| × bin share",
            "",
            "",
            interval,
        ),
    ]
