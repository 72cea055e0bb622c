"""The report and the case study as Markdown (GitHub-flavoured tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from deepscreen.report.blocks import Section, Table
from deepscreen.report.case_study import CaseStudy
from deepscreen.report.sections import sections

SYNTHETIC_BANNER = (
    "SYNTHETIC DATA: every number below was computed from data deepscreen generated from a "
    "fixed seed; none is a measurement of a real platform."
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(t: Table, i: int) -> list[str]:
    cells = []
    for j, text in enumerate(t.rows[i]):
        if j in t.code_columns and text:
            text = f"`{text}`"
        if j == t.id_column and t.note(i):
            text = f"{text} — {t.note(i)}"
        cells.append(_cell(text))
    return cells


def table(t: Table) -> str:
    """A GitHub-flavoured table: labels, not raw metric ids (those are in the report's
    definitions table and the JSON); a scaled row's note follows its label."""
    head = "| " + " | ".join(_cell(h) for h in t.headers) + " |"
    rule = "|" + "|".join("---" for _ in t.headers) + "|"
    body = ["| " + " | ".join(_row(t, i)) + " |" for i in range(len(t.rows))]
    return "\n".join([head, rule, *body])


def _section(s: Section) -> str:
    parts = [f"## {s.title}"]
    parts += s.paragraphs
    if s.bullets:
        parts.append("\n".join(f"- {b}" for b in s.bullets))
    parts += [table(t) for t in s.tables if t.rows]
    return "\n\n".join(parts)


def banner(doc: Mapping[str, Any]) -> list[str]:
    notes = []
    if doc["data"]["synthetic"]:
        notes.append(f"> {SYNTHETIC_BANNER}")
    if doc["data"]["simulated_sections"]:
        notes.append("> The what-if section is SIMULATED: a model of a platform, not measurements.")
    return notes


def report_markdown(doc: Mapping[str, Any]) -> str:
    parts = [f"# {doc['title']}", *banner(doc)]
    parts.append(
        f"Generated {doc['generated_at']} by deepscreen (report v{doc['report_version']})."
    )
    parts += [_section(s) for s in sections(doc)]
    return "\n\n".join(parts) + "\n"


def case_study_markdown(case: CaseStudy) -> str:
    parts = [f"# {case.title}"]
    if case.synthetic:
        parts.append(f"> {SYNTHETIC_BANNER}")
    for heading, text in case.paragraphs:
        parts.append(f"**{heading}.** {text}")
    parts.append(table(case.table))
    parts.append(_bullets("Statements", case.statements))
    parts.append(f"<small>{case.method}</small>")
    return "\n\n".join(p for p in parts if p) + "\n"


def _bullets(heading: str, items: Sequence[str]) -> str:
    return f"**{heading}.**\n\n" + "\n".join(f"- {i}" for i in items) if items else ""
