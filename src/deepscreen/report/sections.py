"""The report's sections as neutral blocks (paragraphs, tables, chart slots), from the report
document of ``service.report.build_report``. Markdown and HTML render the same blocks, so the
two formats carry the same numbers; only HTML fills the chart slots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepscreen.report.blocks import Section, Table
from deepscreen.report.formatting import label
from deepscreen.report.sections_analyses import _comparison, _detector, _frontier, _simulation
from deepscreen.report.sections_impact import (
    HEADLINE_METRICS,
    _exposure,
    _headline,
    _over_time,
    _review,
    _takedown,
)


def sections(doc: Mapping[str, Any]) -> list[Section]:
    """Every section that has data, in reading order."""
    out = [
        _headline(doc),
        _over_time(doc),
        _exposure(doc),
        _review(doc),
        _takedown(doc),
        _detector(doc),
        _comparison(doc),
        _frontier(doc),
        _simulation(doc),
        _assumptions(doc),
    ]
    return [s for s in out if s is not None]


def _assumptions(doc: Mapping[str, Any]) -> Section:
    section = Section("assumptions", "Assumptions and data sources")
    section.bullets = list(doc["assumptions"])
    shown = doc["definitions"]
    names = [name for name in HEADLINE_METRICS if name in shown]
    section.tables.append(
        Table(
            ("Metric", "Name (JSON, CLI)", "Definition"),
            tuple((label(name), name, shown[name]) for name in names),
            row_ids=tuple(names),
            code_columns=(1,),
            prose_columns=(2,),
        )
    )
    return section
