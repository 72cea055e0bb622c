"""Export the DSA transparency-report CSVs (``report.dsa_transparency``) from the event log, each
file written atomically. Where each sheet's numbers come from: docs/internals/service.md."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from deepscreen.core.events import AppealResolved, ItemRestored
from deepscreen.core.files import write_bytes_atomic
from deepscreen.core.metrics import ANY_ACTION
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.impact.items import UTC_US
from deepscreen.impact.metrics import METRICS, PER_10K, metric_table
from deepscreen.report.dsa import SorConfig
from deepscreen.report.dsa_transparency import (
    ClassifierQuality,
    Complaint,
    Estimate,
    Publication,
    QuarterFigures,
    ReportPeriod,
    Sheet,
    TransparencyInputs,
    calendar_quarters,
    transparency_sheets,
)
from deepscreen.service.export_dsa import build_statements, restrictions
from deepscreen.service.impact import store_items
from deepscreen.service.scan import Services

ROLLUP = "all"
PAGE = 100
_AUTOMATED_NOTE = (
    "Items ingested in the reporting period, labelled (latest review or imported label); "
    "actioned = restricted by the automated decision alone."
)


@dataclass(frozen=True)
class WrittenSheet:
    path: Path
    rows: int
    """Data rows (the header not counted)."""


@dataclass(frozen=True)
class TransparencyExport:
    inputs: TransparencyInputs
    files: tuple[WrittenSheet, ...]


def gather_inputs(
    services: Services,
    period: ReportPeriod,
    *,
    service: str,
    publication: Publication,
    sor_config: SorConfig,
    bootstrap: bool = True,
) -> TransparencyInputs:
    """Everything the sheets need for ``period``, read from the event log and review queue."""
    since, until = period.bounds()
    statements = build_statements(
        restrictions(services.store, since=since, until=until), sor_config
    )
    items = store_items(services)
    restored = restored_items(services.store.read(kinds=("item_restored",)))
    pending = open_appeals(services)
    pending_items = {task.item_id for task in pending}
    return TransparencyInputs(
        service=service,
        period=period,
        publication=publication,
        statements=statements,
        complaints=complaints(services.store.read(kinds=("appeal_resolved",)), pending),
        quality=classifier_quality(ingested_in(items, period), bootstrap=bootstrap),
        quarters=[
            quarter_figures(label, quarter, ingested_in(items, quarter), restored, pending_items)
            for label, quarter in calendar_quarters(period)
        ],
        own_initiative_quality=sor_config.source_type == "SOURCE_VOLUNTARY",
    )


def export_transparency(
    services: Services,
    out_dir: Path,
    period: ReportPeriod,
    *,
    service: str,
    publication: Publication,
    sor_config: SorConfig,
    bootstrap: bool = True,
) -> TransparencyExport:
    """Gather, build every sheet and write one CSV per sheet into ``out_dir``."""
    inputs = gather_inputs(
        services,
        period,
        service=service,
        publication=publication,
        sor_config=sor_config,
        bootstrap=bootstrap,
    )
    return TransparencyExport(inputs, write_sheets(transparency_sheets(inputs), out_dir))


def write_sheets(sheets: Iterable[Sheet], out_dir: Path) -> tuple[WrittenSheet, ...]:
    """Write ``<name>.csv`` per sheet, each atomically; returns paths and data-row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for sheet in sheets:
        path = out_dir / sheet.filename
        write_bytes_atomic(path, sheet.csv_bytes())
        written.append(WrittenSheet(path, len(sheet.rows)))
    return tuple(written)


# --------------------------------------------------------------------------- complaints


def open_appeals(services: Services) -> list[ReviewTask]:
    """The appeal tasks not yet done (received, undecided); none without a review queue."""
    queue = services.review_queue
    if queue is None:
        return []
    found: list[ReviewTask] = []
    while True:
        page = queue.list_tasks(
            kinds=[TaskKind.APPEAL],
            statuses=[TaskStatus.OPEN, TaskStatus.CLAIMED],
            limit=PAGE,
            offset=len(found),
        )
        found.extend(page)
        if len(page) < PAGE:
            return found


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


def restored_items(events: Iterable[object]) -> dict[str, bool]:
    """Item id → restored after an appeal (True) or only on the platform's own (False)."""
    restored: dict[str, bool] = {}
    for event in events:
        if isinstance(event, ItemRestored):
            restored[event.item_id] = restored.get(event.item_id, False) or event.appealed
    return restored


# --------------------------------------------------------------------------- item tables


def ingested_in(items: pa.Table, period: ReportPeriod) -> pa.Table:
    """The items ingested in ``period`` (UTC days, both ends included)."""
    since, until = period.bounds()
    column = items.column("ingested_at")
    keep = pc.and_(
        pc.greater_equal(column, pa.scalar(since, type=UTC_US)),
        pc.less(column, pa.scalar(until, type=UTC_US)),
    )
    return items.filter(keep)


def automated_only(items: pa.Table) -> pa.Table:
    """The item table with ``enforced`` (and ``enforced_action``) kept only where the automated
    decision itself restricted the item: the automated means' own actions."""
    automated = pc.fill_null(items.column("automated"), False)
    action = pc.if_else(automated, items.column("action"), pa.scalar(None, pa.string()))
    table = items.set_column(items.schema.get_field_index("enforced"), "enforced", automated)
    index = table.schema.get_field_index("enforced_action")
    return table.set_column(index, "enforced_action", action)


def _rows_by_group(table: pa.Table, group: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(policy_revision, metric) → metric-table row, for segment ``all``."""
    return {
        (row["policy_revision"], row["metric"]): row
        for row in table.to_pylist()
        if row["segment"] == group
    }


def _estimate(row: Mapping[str, Any] | None, *, scale: float = 1.0) -> Estimate:
    """A metric-table row as an ``Estimate`` (NaN and null → None), divided by ``scale``."""
    if row is None:
        return Estimate(None)

    def number(value: Any) -> float | None:
        if value is None or value != value:  # null or NaN
            return None
        return float(value) / scale

    value = number(row["value"])
    return Estimate(
        value,
        number(row["ci_low"]) if value is not None else None,
        number(row["ci_high"]) if value is not None else None,
        int(row["n"] or 0),
        str(row["definition"] or ""),
    )


def derived_accuracy(
    prevalence: Estimate, recall: Estimate, false_positive_rate: Estimate
) -> Estimate:
    """Accuracy = p·recall + (1 − p)·(1 − FPR) over the labelled items the three share (exact:
    (TP + TN) ÷ labelled, with the same weights). None when a needed term is not estimable."""
    definition = (
        "(true positives + true negatives) ÷ labelled items, derived as p·recall + "
        "(1 − p)·(1 − false-positive rate) with p the labelled violating share, all over the "
        "same labelled items and weights. n = labelled items."
    )
    p = prevalence.value
    if p is None:
        return Estimate(None, n=prevalence.n, definition=definition)
    violating_part = 0.0
    clean_part = 0.0
    if p > 0:
        if recall.value is None:
            return Estimate(None, n=prevalence.n, definition=definition)
        violating_part = p * recall.value
    if p < 1:
        if false_positive_rate.value is None:
            return Estimate(None, n=prevalence.n, definition=definition)
        clean_part = (1 - p) * (1 - false_positive_rate.value)
    value = min(max(violating_part + clean_part, 0.0), 1.0)
    return Estimate(value, n=prevalence.n, definition=definition)


def classifier_quality(items: pa.Table, *, bootstrap: bool = True) -> list[ClassifierQuality]:
    """Accuracy, precision and recall of each policy revision's automated actions."""
    if items.num_rows == 0:
        return []
    table = metric_table(
        automated_only(items), period="all", by_segment=False, by_policy=True, bootstrap=bootstrap
    )
    rows = _rows_by_group(table, ROLLUP)
    revisions = sorted({p for p, _ in rows if p not in (ROLLUP, "")})
    quality = []
    for revision in revisions:
        precision = _estimate(rows.get((revision, f"precision_{ANY_ACTION}")))
        recall = _estimate(rows.get((revision, f"recall_{ANY_ACTION}")))
        fpr = _estimate(rows.get((revision, f"false_positive_rate_{ANY_ACTION}")))
        prevalence = _estimate(rows.get((revision, "violating_per_10k_uploads")), scale=PER_10K)
        fpr_text = "–" if fpr.value is None else f"{fpr.value:.4g}"
        quality.append(
            ClassifierQuality(
                classifier=f"moderation policy revision {revision!r}",
                accuracy=derived_accuracy(prevalence, recall, fpr),
                precision=precision,
                recall=recall,
                note=f"{_AUTOMATED_NOTE} False-positive rate {fpr_text} (n = {fpr.n}).",
            )
        )
    return quality


# --------------------------------------------------------------------------- quarters


def quarter_figures(
    label: str,
    quarter: ReportPeriod,
    items: pa.Table,
    restored: Mapping[str, bool],
    pending_appeals: Collection[str] = (),
) -> QuarterFigures:
    """One CSER row from the items ingested in ``quarter`` (Meta's five metrics): uploads,
    prevalence, actioned and proactive rate from ``metric_table``; appealed = enforced items
    with a resolved or pending appeal (``pending_appeals``: item ids); restored from
    ``restored`` (item id → after an appeal)."""
    ids = set(items.column("item_id").to_pylist())
    with_appeal = sum(1 for item, appealed in restored.items() if item in ids and appealed)
    without_appeal = sum(1 for item, appealed in restored.items() if item in ids and not appealed)
    if items.num_rows == 0:
        empty = Estimate(None, definition=METRICS["violating_per_10k_uploads"])
        return QuarterFigures(label, quarter, 0, empty, 0, Estimate(None), 0, 0, 0)
    table = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    rows = {metric: row for (_, metric), row in _rows_by_group(table, ROLLUP).items()}
    return QuarterFigures(
        quarter=label,
        period=quarter,
        uploads=_count(rows.get("uploads")),
        prevalence=_estimate(rows.get("violating_per_10k_uploads")),
        actioned=_count(rows.get("actioned_total")),
        proactive_rate=_estimate(rows.get("proactive_rate")),
        appealed=len(appealed_items(items) | (ids & set(pending_appeals))),
        restored_with_appeal=with_appeal,
        restored_without_appeal=without_appeal,
    )


def appealed_items(items: pa.Table) -> set[str]:
    """Ids of enforced items with a resolved appeal (as ``metric_table``'s ``appeal_rate``)."""
    appealed = pc.or_kleene(
        pc.or_kleene(
            pc.is_valid(items.column("appeal_received_at")),
            pc.is_valid(items.column("appeal_decided_at")),
        ),
        pc.is_valid(items.column("appeal_outcome")),
    )
    keep = pc.and_kleene(pc.fill_null(items.column("enforced"), False), appealed)
    return set(items.filter(keep).column("item_id").to_pylist())


def _count(row: Mapping[str, Any] | None) -> int:
    return 0 if row is None or row["value"] is None else round(float(row["value"]))
