"""The report and the case study as one self-contained HTML file each (inline CSS and SVG;
nothing is fetched when it is opened), and as PDF through WeasyPrint."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import jinja2

from deepscreen.report import charts
from deepscreen.report.blocks import Section
from deepscreen.report.case_study import CaseStudy
from deepscreen.report.markdown import SYNTHETIC_BANNER
from deepscreen.report.sections import sections

ChartStep = Callable[[str], None]


NBSP = "\u00a0"


def unbroken(text: str) -> str:
    """A value cell that wraps only before its interval: ``38,025.0 USD`` and
    ``[−49,725.0, −27,275.6]`` each stay whole (no-break spaces), so a narrow column never
    splits a number from its unit."""
    return text.replace(" ", NBSP).replace(NBSP + "[", " [")


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("deepscreen.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["unbroken"] = unbroken
    return env


def chart_svg(name: str, doc: Mapping[str, Any]) -> str | None:
    """Draw the chart ``name`` (a ``report.charts`` function) from the document's data."""
    if name in ("comparison_chart",):
        return charts.comparison_chart(doc.get("comparison"))
    if name in ("roc_chart", "pr_chart", "reliability_chart", "per_source_recall_chart"):
        return getattr(charts, name)(doc.get("evaluation"))  # type: ignore[no-any-return]
    if name == "frontier_chart":
        opt = doc.get("optimization") or {}
        return charts.frontier_chart(opt.get("frontier") or [], opt.get("currency", ""))
    if name == "simulation_chart":
        return charts.simulation_chart(doc.get("simulation"))
    return getattr(charts, name)(doc["metrics"])  # type: ignore[no-any-return]


def report_html(doc: Mapping[str, Any], *, on_chart: ChartStep | None = None) -> str:
    """The whole report; ``on_chart`` is told each chart's name as it is drawn."""
    blocks: list[tuple[Section, list[str]]] = []
    for section in sections(doc):
        svgs = []
        for name in section.charts:
            if on_chart is not None:
                on_chart(name)
            svg = chart_svg(name, doc)
            if svg is not None:
                svgs.append(svg)
        blocks.append((section, svgs))
    return (
        _environment()
        .get_template("report.html.j2")
        .render(doc=doc, blocks=blocks, banner=SYNTHETIC_BANNER)
    )


def chart_names(doc: Mapping[str, Any]) -> list[str]:
    """Every chart ``report_html`` will try to draw (for a progress bar's total)."""
    return [name for section in sections(doc) for name in section.charts]


@cache
def _weasyprint() -> Any:
    """WeasyPrint, imported on first use. Importing it sets Pillow's process-wide
    ``ImageFile.LOAD_TRUNCATED_IMAGES = True``, which would let the media loader accept
    truncated images; the previous value is put back (the reports embed no raster image)."""
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    try:
        import weasyprint
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous
    return weasyprint


def case_study_chart(case: CaseStudy) -> str | None:
    """The case study's one chart: before/after of its key rows with the change's interval."""
    return charts.before_after_chart(
        case.chart_rows,
        [str(r["metric"]) for r in case.chart_rows],
        currency=case.currency,
        baseline=case.baseline,
        candidate=case.candidate,
    )


def case_study_html(case: CaseStudy) -> str:
    return (
        _environment()
        .get_template("case_study.html.j2")
        .render(case=case, banner=SYNTHETIC_BANNER, chart=case_study_chart(case))
    )


def to_pdf(html: str) -> tuple[bytes, int]:
    """The PDF of an HTML document and its page count (WeasyPrint; A4 from the CSS)."""
    document = _weasyprint().HTML(string=html).render()
    return document.write_pdf(), len(document.pages)
