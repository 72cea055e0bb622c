"""The sheets' figures from the event log's content: complaints from appeals, and each policy
revision's quality (``impact.dsa_estimates``) as the classifier-quality rows of sheet 8."""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from deepscreen.compliance.transparency.inputs import ClassifierQuality, Complaint
from deepscreen.core.events import AppealResolved
from deepscreen.core.tasks import ReviewTask
from deepscreen.impact.dsa_estimates import revision_quality

_AUTOMATED_NOTE = (
    "Items ingested in the reporting period, labelled (latest review or imported label); "
    "actioned = restricted by the automated decision alone."
)


def complaints(resolved: Iterable[object], pending: Iterable[ReviewTask]) -> list[Complaint]:
    """Every resolved appeal (``AppealResolved`` events) and every pending appeal task."""
    decided = [
        Complaint(
            received_at=event.received_at,
            decided_at=event.occurred_at,
            outcome=str(event.outcome),
        )
        for event in resolved
        if isinstance(event, AppealResolved)
    ]
    return decided + [Complaint(received_at=task.created_at) for task in pending]


def classifier_quality(items: pa.Table, *, bootstrap: bool = True) -> list[ClassifierQuality]:
    """Accuracy, precision and recall of each policy revision's automated actions."""
    quality = []
    for revision in revision_quality(items, bootstrap=bootstrap):
        fpr = revision.false_positive_rate
        fpr_text = "–" if fpr.value is None else f"{fpr.value:.4g}"
        quality.append(
            ClassifierQuality(
                classifier=f"moderation policy revision {revision.revision!r}",
                accuracy=revision.accuracy,
                precision=revision.precision,
                recall=revision.recall,
                note=f"{_AUTOMATED_NOTE} False-positive rate {fpr_text} (n = {fpr.n}).",
            )
        )
    return quality
