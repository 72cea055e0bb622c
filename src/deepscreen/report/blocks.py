"""The report's neutral blocks: ``Table`` and ``Section``, and the metric and comparison
tables built from metric rows (Markdown and HTML render the same blocks)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from deepscreen.report.formatting import comparison_cells, label, metric_cells, scaling


@dataclass(frozen=True)
class Table:
    """A table of text cells. A metric row shows its human label; its raw metric id (the name
    in the JSON and the CLI) rides along in ``row_ids`` (a tooltip in HTML), and a header that
    names a metric in ``header_ids``."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    row_ids: tuple[str, ...] = ()
    """The metric id of each row ("" for none), for the cell in column ``id_column``."""
    id_column: int = 0
    header_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    """A note under each row's label ("" for none): how a scaled row was scaled."""
    code_columns: tuple[int, ...] = ()
    """Columns holding raw names, printed as code that does not wrap."""
    prose_columns: tuple[int, ...] = ()
    """Columns of words that wrap (definitions, verdicts); other value cells keep a number and
    its interval on one line in HTML."""

    def row_id(self, i: int) -> str:
        return self.row_ids[i] if i < len(self.row_ids) else ""

    def note(self, i: int) -> str:
        return self.notes[i] if i < len(self.notes) else ""

    def header_id(self, i: int) -> str:
        return self.header_ids[i] if i < len(self.header_ids) else ""


@dataclass
class Section:
    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)
    """Names of ``report.charts`` functions to draw here (HTML only)."""
    bullets: list[str] = field(default_factory=list)


def _currency(doc: Mapping[str, Any]) -> str:
    return str(doc["costs"]["model"].get("currency") or "")


METRIC_HEADERS = ("Metric", "Value", "95% CI", "n")


def _metric_table(
    rows: Sequence[Mapping[str, Any]], names: Sequence[str], currency: str = ""
) -> Table:
    by_name = {r["metric"]: r for r in rows}
    shown = [name for name in names if name in by_name]
    body = tuple((label(name), *metric_cells(by_name[name], currency)) for name in shown)
    return Table(METRIC_HEADERS, body, row_ids=tuple(shown))


def comparison_table(
    rows: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    currency: str,
    *,
    scaled: bool = False,
) -> Table:
    """Comparison rows under their labels, in their units; ``scaled`` rows (per day, per
    month) carry how they were scaled as a note."""
    return Table(
        tuple(headers),
        tuple((label(r["metric"]), *comparison_cells(r, currency)) for r in rows),
        row_ids=tuple(r["metric"] for r in rows),
        notes=tuple(_scaled_note(r) for r in rows) if scaled else (),
        prose_columns=(4,),
    )


def scaling_note(rows: Sequence[Mapping[str, Any]], days: int) -> str:
    """How per-day and per-month rows relate to the comparison's totals, in one sentence."""
    text = f"Per day: the replayed window's totals ÷ {days:,} days."
    if any(r["metric"].endswith("_per_month") for r in rows):
        text += (
            " Per month: the totals ÷ the compared items × the configured monthly volume (the "
            "replayed items scaled to the platform's uploads, not the per-day figure × 30)."
        )
    return text + " Each scaled row says how it was scaled."


def _scaled_note(row: Mapping[str, Any]) -> str:
    """``scaled: <formula in words>`` of a per-day/per-month row (one with a ``formula`` or a
    ``from_metric``); "" for a row that was not scaled."""
    if not (row.get("formula") or row.get("from_metric")):
        return ""
    how = scaling(row)
    return f"scaled: {how}" if how else ""
