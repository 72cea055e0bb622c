"""Render the report document in each format and write it whole or not at all."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from importlib.resources import files
from pathlib import Path
from typing import Any

from deepscreen.core.errors import InvalidInput
from deepscreen.core.files import write_bytes_atomic
from deepscreen.report.case_study import case_study
from deepscreen.report.html import case_study_html, report_html, to_pdf
from deepscreen.report.html import chart_names as chart_names
from deepscreen.report.markdown import case_study_markdown, report_markdown
from deepscreen.service.report import ReportRequest, build_report
from deepscreen.service.scan import Services

CASE_STUDY_MAX_PAGES = 1


class ReportFormat(StrEnum):
    HTML = "html"
    MD = "md"
    PDF = "pdf"
    JSON = "json"


def render_report(
    doc: Mapping[str, Any], fmt: ReportFormat, *, on_chart: Callable[[str], None] | None = None
) -> bytes:
    if fmt is ReportFormat.JSON:
        return (json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode()
    if fmt is ReportFormat.MD:
        return report_markdown(doc).encode()
    html = report_html(doc, on_chart=on_chart)
    if fmt is ReportFormat.HTML:
        return html.encode()
    return to_pdf(html)[0]


def render_case_study(doc: Mapping[str, Any], fmt: ReportFormat) -> tuple[bytes, int | None]:
    """The case study and, for PDF, its page count. Raises ``InvalidInput`` when the document
    has no comparison, or when the PDF would not fit on one A4 page."""
    case = case_study(doc)
    if fmt is ReportFormat.MD:
        return case_study_markdown(case).encode(), None
    if fmt is ReportFormat.JSON:
        raise InvalidInput("the case study is written as md, html or pdf")
    html = case_study_html(case)
    if fmt is ReportFormat.HTML:
        return html.encode(), None
    pdf, pages = to_pdf(html)
    if pages > CASE_STUDY_MAX_PAGES:
        raise InvalidInput(
            f"the case study needs {pages} A4 pages, more than {CASE_STUDY_MAX_PAGES}: "
            "shorten the candidate policy's description, or quote fewer simulated statements "
            "(a --simulation file's statements are quoted)"
        )
    return pdf, pages


def demo_candidate_dir() -> Path:
    """The demo's candidate policy bundle, shipped in ``deepscreen.demo``."""
    return Path(str(files("deepscreen.demo") / "candidate"))


def write_demo_reports(
    services: Services,
    costs: Mapping[str, Any],
    directory: Path,
    *,
    now: datetime,
    cost_source: str,
    review_sla_hours: float | None = None,
    on_step: Callable[[str], None] | None = None,
    n_boot: int = 1000,
) -> list[Path]:
    """The demo's report (HTML and JSON, by week) and its case study (Markdown and PDF) of the
    candidate policy, written into ``directory``; returns the paths written."""
    request = ReportRequest(
        period="week",
        candidate=demo_candidate_dir(),
        synthetic=True,
        title="deepscreen demo — impact report (synthetic data)",
        n_boot=n_boot,
    )
    doc = build_report(
        services,
        costs,
        request,
        now=now,
        cost_source=cost_source,
        review_sla_hours=review_sla_hours,
        step=on_step,
    )
    outputs = {
        "report.json": render_report(doc, ReportFormat.JSON),
        "report.html": render_report(doc, ReportFormat.HTML, on_chart=on_step),
        "case-study.md": render_case_study(doc, ReportFormat.MD)[0],
        "case-study.pdf": render_case_study(doc, ReportFormat.PDF)[0],
    }
    written = []
    for name, data in outputs.items():
        write_bytes_atomic(directory / name, data)
        written.append(directory / name)
    return written
