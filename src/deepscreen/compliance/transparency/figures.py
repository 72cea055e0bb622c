"""The sheets' figures from the event log's content: complaints from appeals, and the impact
estimates (``impact.dsa_estimates``) as classifier-quality rows and CSER quarters."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping

import pyarrow as pa

from deepscreen.compliance.transparency.inputs import (
    ClassifierQuality,
    Complaint,
    QuarterFigures,
    ReportPeriod,
)
from deepscreen.core.events import AppealResolved
from deepscreen.core.tasks import ReviewTask
from deepscreen.impact.dsa_estimates import quarter_counts, revision_quality

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


def quarter_figures(
    label: str,
    quarter: ReportPeriod,
    items: pa.Table,
    restored: Mapping[str, bool],
    pending_appeals: Collection[str] = (),
) -> QuarterFigures:
    """One CSER row from the items ingested in ``quarter`` (``impact.dsa_estimates``'s
    ``quarter_counts``: ``restored`` maps item id → after an appeal, ``pending_appeals`` holds
    item ids)."""
    counts = quarter_counts(items, restored, pending_appeals)
    return QuarterFigures(
        quarter=label,
        period=quarter,
        uploads=counts.uploads,
        prevalence=counts.prevalence,
        actioned=counts.actioned,
        proactive_rate=counts.proactive_rate,
        appealed=counts.appealed,
        restored_with_appeal=counts.restored_with_appeal,
        restored_without_appeal=counts.restored_without_appeal,
    )
