"""Sheet 1 (summary) and sheets 5 and 6 (own-initiative measures, illegal and against the terms
and conditions): the counting rules in docs/internals/compliance.md."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from deepscreen.compliance.codes import ILLEGAL_TAXONOMY, TAXONOMY
from deepscreen.compliance.transparency.cells import count_cell
from deepscreen.compliance.transparency.inputs import Sheet, TransparencyInputs
from deepscreen.compliance.transparency.texts import (
    ALL,
    FULLY_AUTOMATED,
    ILLEGAL,
    INCOMPATIBLE,
    KEYWORD_OTHER,
    MEASURES,
    OWN_INITIATIVE,
    PART_1_HEADER,
    PART_5_HEADER,
    PART_6_HEADER,
    RESTRICTION_COLUMNS,
    RESTRICTION_FIELDS,
    SOLELY_AUTOMATED,
    TOTAL,
    VALUE_COLUMNS,
)


def summary_sheet(inputs: TransparencyInputs) -> Sheet:
    """``Part_1_summary``: provider, publication dates, period start and end."""
    publication, period = inputs.publication, inputs.period
    values = (
        ("Name of the service provider", publication.provider),
        ("Date of the publication of the report", publication.published.isoformat()),
        (
            "Date of the publication of the latest previous report",
            publication.previous.isoformat() if publication.previous else "",
        ),
        ("Starting date of reporting period", period.start.isoformat()),
        ("Ending date of reporting period", period.end.isoformat()),
    )
    rows = tuple((ALL, inputs.service, indicator, value) for indicator, value in values)
    return Sheet("Part_1_summary", PART_1_HEADER, rows)


# --------------------------------------------------------------------------- sheets 5 and 6


def restriction_codes(statement: Mapping[str, Any]) -> set[str]:
    """Every ``decision_*`` restriction code of a statement (the visibility field is a list,
    the others single codes; either form is accepted for each)."""
    codes: set[str] = set()
    for name in RESTRICTION_FIELDS:
        value = statement.get(name)
        if isinstance(value, str):
            codes.add(value)
        elif isinstance(value, Iterable):
            codes.update(str(code) for code in value)
    return codes


def restriction_columns(statement: Mapping[str, Any]) -> set[str]:
    """The sheet 5/6 restriction columns a statement counts in (each at most once)."""
    codes = restriction_codes(statement)
    return {column for column, wanted in RESTRICTION_COLUMNS.items() if codes.intersection(wanted)}


def keyword_of(statement: Mapping[str, Any], keywords: Sequence[str]) -> str | None:
    """The one keyword row of its category a statement counts in: the first specific keyword
    of ``keywords`` (template order) it lists, else ``KEYWORD_OTHER`` if listed, else None."""
    listed = set(statement.get("category_specification") or ())
    for keyword in keywords:
        if keyword != KEYWORD_OTHER and keyword in listed:
            return keyword
    return KEYWORD_OTHER if KEYWORD_OTHER in listed and KEYWORD_OTHER in keywords else None


def own_initiative_statements(
    statements: Iterable[Mapping[str, Any]], ground: str
) -> list[Mapping[str, Any]]:
    """The own-initiative (``SOURCE_VOLUNTARY``) statements on ``ground``."""
    return [
        s
        for s in statements
        if s.get("decision_ground") == ground and s.get("source_type") == OWN_INITIATIVE
    ]


def _applicable_columns(
    statements: Sequence[Mapping[str, Any]], imposable: Collection[str]
) -> set[str]:
    """Columns that can apply: the two measure counts, each restriction the service can impose,
    and any restriction some statement actually carries."""
    observed = set().union(*(restriction_codes(s) for s in statements)) if statements else set()
    possible = set(imposable) | observed
    restrictions = {c for c, codes in RESTRICTION_COLUMNS.items() if possible.intersection(codes)}
    return {MEASURES, SOLELY_AUTOMATED} | restrictions


def _column_counts(statements: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(VALUE_COLUMNS, 0)
    counts[MEASURES] = len(statements)
    counts[SOLELY_AUTOMATED] = sum(
        s.get("automated_decision") == FULLY_AUTOMATED for s in statements
    )
    for statement in statements:
        for column in restriction_columns(statement):
            counts[column] += 1
    return counts


def _own_initiative_context(ground: str, applicable: set[str]) -> tuple[str, ...]:
    """The TOTAL row's contextual information: how each column is counted (or why blank)."""
    selection = (
        f"Statements of reasons with decision_ground {ground} and source_type {OWN_INITIATIVE} "
        "whose restriction started in the reporting period (UTC); one statement = one measure."
    )
    texts = {
        MEASURES: selection,
        SOLELY_AUTOMATED: (
            f"Of those, automated_decision {FULLY_AUTOMATED}: detected and decided by automated "
            "means with no human confirmation or choice of the action."
        ),
    }
    for column, codes in RESTRICTION_COLUMNS.items():
        texts[column] = (
            f"Measures with {' or '.join(codes)}."
            if column in applicable
            else "Blank: the service never imposes this restriction."
        )
    return tuple(texts[column] for column in VALUE_COLUMNS)


def _own_initiative_row(
    inputs: TransparencyInputs,
    label: str,
    description: str,
    statements: Sequence[Mapping[str, Any]],
    applicable: set[str],
    context: tuple[str, ...],
) -> tuple[str, ...]:
    counts = _column_counts(statements)
    values = tuple(count_cell(counts[c] if c in applicable else None) for c in VALUE_COLUMNS)
    return (ALL, inputs.service, inputs.period.label, label, description, *values, *context)


def _other_description(statements: Iterable[Mapping[str, Any]]) -> str:
    texts = sorted(
        {
            str(s["category_specification_other"])
            for s in statements
            if s.get("category_specification_other")
        }
    )
    return "; ".join(texts)


def own_initiative_sheet(inputs: TransparencyInputs, ground: str) -> Sheet:
    """``Part_5_own_initiative_illegal`` (``ground`` ILLEGAL) or ``Part_6_own_initiative_TC``
    (INCOMPATIBLE): TOTAL, then each category and its keywords (docs/internals/compliance.md)."""
    if ground not in (ILLEGAL, INCOMPATIBLE):
        raise ValueError(f"ground must be {ILLEGAL} or {INCOMPATIBLE}, got {ground!r}")
    illegal = ground == ILLEGAL
    selected = own_initiative_statements(inputs.statements, ground)
    applicable = _applicable_columns(selected, inputs.imposable)
    taxonomy = list(ILLEGAL_TAXONOMY if illegal else TAXONOMY)
    listed = {category for category, _ in taxonomy}
    extra = sorted({str(s.get("category")) for s in selected} - listed)
    taxonomy.extend((category, ()) for category in extra)  # present but not in the template
    blank_context = ("",) * len(VALUE_COLUMNS)
    rows = [
        _own_initiative_row(
            inputs, TOTAL, "", selected, applicable, _own_initiative_context(ground, applicable)
        )
    ]
    for category, keywords in taxonomy:
        in_category = [s for s in selected if s.get("category") == category]
        rows.append(
            _own_initiative_row(inputs, category, "", in_category, applicable, blank_context)
        )
        by_keyword: dict[str, list[Mapping[str, Any]]] = {k: [] for k in keywords}
        for statement in in_category:
            keyword = keyword_of(statement, keywords)
            if keyword is not None:
                by_keyword[keyword].append(statement)
        for keyword in keywords:
            matched = by_keyword[keyword]
            description = _other_description(matched) if keyword == KEYWORD_OTHER else ""
            rows.append(
                _own_initiative_row(
                    inputs, keyword, description, matched, applicable, blank_context
                )
            )
    name, header = (
        ("Part_5_own_initiative_illegal", PART_5_HEADER)
        if illegal
        else ("Part_6_own_initiative_TC", PART_6_HEADER)
    )
    return Sheet(name, header, tuple(rows))
