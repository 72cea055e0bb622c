"""Export the DSA transparency-report CSVs (``compliance.transparency``) from the event log and
review queue, each file written atomically. Where each sheet's numbers come from:
docs/internals/compliance.md."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from deepscreen.compliance.batches import build_statements
from deepscreen.compliance.sor import SorConfig
from deepscreen.compliance.transparency.figures import classifier_quality, complaints
from deepscreen.compliance.transparency.inputs import Publication, Sheet, TransparencyInputs
from deepscreen.compliance.transparency.sheets import transparency_sheets
from deepscreen.core.files import write_bytes_atomic
from deepscreen.core.tasks import ReviewTask, TaskKind, TaskStatus
from deepscreen.impact.dsa_estimates import (
    ReportPeriod,
    calendar_quarters,
    ingested_between,
    quarter_figures,
    restored_items,
)
from deepscreen.service.export_dsa import restrictions
from deepscreen.service.impact import store_items
from deepscreen.service.scan import Services

PAGE = 100


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
        quality=classifier_quality(ingested_between(items, *period.bounds()), bootstrap=bootstrap),
        quarters=[
            quarter_figures(
                label,
                quarter,
                ingested_between(items, *quarter.bounds()),
                restored,
                pending_items,
            )
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
