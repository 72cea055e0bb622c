"""Impact use cases: the item table from the store, the metric table, and the cost figures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from deepscreen.impact.costs import FIGURES, CostModel, CostReport, cost_report
from deepscreen.impact.items import build_items
from deepscreen.impact.metrics import TABLE_SCHEMA, metric_table
from deepscreen.impact.metrics import to_csv as to_csv
from deepscreen.impact.metrics import to_json as to_json
from deepscreen.impact.metrics import to_parquet as to_parquet
from deepscreen.impact.metrics import to_records as to_records
from deepscreen.impact.summary import ImpactSummary, summarise
from deepscreen.service.scan import Services
from deepscreen.store.events.arrow import events_table


def store_items(
    services: Services,
    *,
    segment_attribute: str = "category",
    score_signal: str = "ensemble",
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """One row per stored item (``impact.items.ITEM_SCHEMA``), from the whole event log."""
    events = events_table(services.store, progress=progress)
    return build_items(events, segment_attribute=segment_attribute, score_signal=score_signal)


def impact_summary(services: Services) -> ImpactSummary:
    """The headline summary of everything stored: the metric table's whole-store rows (no
    bootstrap: the summary's rates carry Wilson intervals), with the configured cost inputs."""
    items = store_items(services)
    table = metric_table(items, period="all", by_segment=False, by_policy=False, bootstrap=False)
    return summarise(table, items, costs=services.costs)


@dataclass(frozen=True)
class ImpactReport:
    items: pa.Table
    table: pa.Table  # TABLE_SCHEMA: the metrics, then one row per computed cost figure
    costs: CostReport


def impact_report(
    services: Services,
    costs: Mapping[str, Any],
    *,
    period: str = "month",
    by_segment: bool = True,
    by_policy: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
    bootstrap: bool = True,
    segment_attribute: str = "category",
    score_signal: str = "ensemble",
    review_sla_hours: float | None = None,
) -> ImpactReport:
    """The metric table of everything stored, plus the cost figures its inputs allow (each
    with its formula and inputs in ``definition``; missing inputs are named, never zero)."""
    items = store_items(services, segment_attribute=segment_attribute, score_signal=score_signal)
    model = CostModel.from_mapping(costs)
    table = metric_table(
        items,
        period=period,  # type: ignore[arg-type]
        by_segment=by_segment,
        by_policy=by_policy,
        n_boot=n_boot,
        seed=seed,
        bootstrap=bootstrap,
        review_minutes_per_item=model.review_minutes_per_item,
        review_sla_hours=review_sla_hours,
    )
    report = cost_report(items, model)
    return ImpactReport(items, pa.concat_tables([table, cost_rows(report)]), report)


def cost_rows(report: CostReport) -> pa.Table:
    """The computed cost figures as metric-table rows (period, policy and segment ``all``)."""
    rows = []
    for name in FIGURES:
        figure = report[name]
        if figure.value is None:
            continue
        inputs = "; ".join(figure.inputs)
        rows.append(
            {
                "period": "all",
                "policy_revision": "all",
                "segment": "all",
                "metric": f"cost_{name}",
                "value": float(figure.value),
                "ci_low": None,
                "ci_high": None,
                "n": report.items,
                "definition": f"{figure.formula} [{figure.unit}]"
                + (f"; inputs: {inputs}" if inputs else "")
                + (f"; {figure.basis}" if figure.basis else ""),
            }
        )
    return pa.Table.from_pylist(rows, schema=TABLE_SCHEMA)
