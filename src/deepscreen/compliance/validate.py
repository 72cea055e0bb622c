"""A local check of statements of reasons against the Transparency Database's rules (required
fields, enums, conditionals, lengths, formats, dates, puid uniqueness), every violation reported;
stricter than the database in two places, on purpose (docs/internals/compliance.md)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import urlparse

from deepscreen.compliance import codes

MAX_BATCH = 100

ONE_RESTRICTION = ("decision_visibility", "decision_monetary", "decision_provision")
RESTRICTIONS = (*ONE_RESTRICTION, "decision_account")

REQUIRED = (
    "decision_ground",
    "content_type",
    "category",
    "territorial_scope",  # the documentation requires it; the code accepts null (§8): send it
    "content_date",
    "application_date",
    "decision_facts",
    "source_type",
    "automated_detection",
    "automated_decision",
    "puid",
)

ENUMS: dict[str, frozenset[str]] = {
    "decision_monetary": codes.DECISION_MONETARIES,
    "decision_provision": codes.DECISION_PROVISIONS,
    "decision_account": codes.DECISION_ACCOUNTS,
    "account_type": codes.ACCOUNT_TYPES,
    "decision_ground": codes.DECISION_GROUNDS,
    "incompatible_content_illegal": codes.INCOMPATIBLE_CONTENT_ILLEGALS,
    "category": codes.STATEMENT_CATEGORIES,
    "source_type": codes.SOURCE_TYPES,
    "automated_detection": codes.AUTOMATED_DETECTIONS,
    "automated_decision": codes.AUTOMATED_DECISIONS,
}
ARRAY_ENUMS: dict[str, frozenset[str]] = {
    "decision_visibility": codes.DECISION_VISIBILITIES,
    "content_type": codes.CONTENT_TYPES,
    "category_addition": codes.STATEMENT_CATEGORIES,
    "category_specification": codes.KEYWORDS,
    "territorial_scope": codes.EEA_COUNTRY_CODES,
}
MAX_CHARS: dict[str, int] = {
    "decision_visibility_other": 500,
    "decision_monetary_other": 500,
    "decision_ground_reference_url": 500,
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "content_type_other": 500,
    "category_specification_other": 500,
    "decision_facts": 5000,
    "source_identity": 500,
    "puid": 500,
}
DATE_BOUNDS: dict[str, tuple[date, date]] = {
    "content_date": (date(2000, 1, 1), date(2038, 1, 1)),
    "application_date": (date(2020, 1, 1), date(2038, 1, 1)),
}
END_DATES = (
    "end_date_visibility_restriction",
    "end_date_monetary_restriction",
    "end_date_service_restriction",
    "end_date_account_restriction",
)
FIELDS = frozenset(
    {*RESTRICTIONS, *REQUIRED, *ENUMS, *ARRAY_ENUMS, *MAX_CHARS, *END_DATES}
    | {"content_language", "content_id"}
)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PUID = re.compile(r"^[a-zA-Z0-9\-_]+$")
LANGUAGE = re.compile(r"^[A-Z]{2}$")
EAN13 = re.compile(r"^[0-9]{13}$")
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"


class Violation(NamedTuple):
    """One broken rule: the statement's puid (``""`` if it has none), the field, why."""

    puid: str
    field: str
    message: str


def validate_batch(statements: Sequence[Mapping[str, Any]]) -> list[Violation]:
    """Every violation of every statement, plus the batch rules (1..100 statements, no puid
    twice)."""
    found: list[Violation] = []
    if not 1 <= len(statements) <= MAX_BATCH:
        found.append(
            Violation("", "statements", f"a batch holds 1 to {MAX_BATCH}, got {len(statements)}")
        )
    for statement in statements:
        found.extend(validate_statement(statement))
    counts = Counter(str(s.get("puid", "")) for s in statements if s.get("puid"))
    for puid, n in counts.items():
        if n > 1:
            found.append(Violation(puid, "puid", f"puid {puid!r} occurs {n} times in the batch"))
    return found


def validate_statement(statement: Mapping[str, Any]) -> list[Violation]:
    """Every rule ``statement`` breaks, as (puid, field, message)."""
    messages: list[tuple[str, str]] = []
    for check in (_presence, _enums, _texts, _dates, _conditionals, _formats):
        messages.extend(check(statement))
    puid = statement.get("puid")
    key = puid if isinstance(puid, str) else ""
    return [Violation(key, field, message) for field, message in messages]


def _given(statement: Mapping[str, Any], field: str) -> bool:
    value = statement.get(field)
    return value is not None and value != "" and value != []


def _presence(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for field in sorted(set(s) - FIELDS):
        yield field, f"{field!r} is not a field of the statement API"
    for field in REQUIRED:
        if not _given(s, field):
            yield field, "is required"
    if not any(_given(s, f) for f in RESTRICTIONS):
        yield "decision_visibility", f"one of {', '.join(RESTRICTIONS)} is required"


def _enums(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for field, allowed in ENUMS.items():
        value = s.get(field)
        if value is not None and value not in allowed:
            yield field, f"{value!r} is not one of the accepted values"
    for field, allowed in ARRAY_ENUMS.items():
        values = s.get(field)
        if values is None:
            continue
        if not isinstance(values, list):
            yield field, f"must be an array, got {values!r}"
            continue
        for value in values:
            if value not in allowed:
                yield field, f"{value!r} is not one of the accepted values"


def _texts(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for field, limit in MAX_CHARS.items():
        value = s.get(field)
        if value is None:
            continue
        if not isinstance(value, str):
            yield field, f"must be a string, got {value!r}"
        elif len(value) > limit:
            yield field, f"may hold at most {limit} characters, has {len(value)}"


def _parse_date(value: Any) -> date | None:
    if not isinstance(value, str) or not ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _dates(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for field, (low, high) in DATE_BOUNDS.items():
        if s.get(field) is None:
            continue
        day = _parse_date(s[field])
        if day is None:
            yield field, f"must be a date YYYY-MM-DD, got {s[field]!r}"
        elif not low <= day <= high:
            yield field, f"must be between {low} and {high}, got {s[field]!r}"
    applied = _parse_date(s.get("application_date"))
    for field in END_DATES:
        if s.get(field) is None:
            continue  # null: the restriction is indefinite
        day = _parse_date(s[field])
        if day is None:
            yield field, f"must be a date YYYY-MM-DD or null, got {s[field]!r}"
        elif applied is not None and day < applied:
            yield field, f"must not be before application_date {s['application_date']!r}"


def _required_iff(
    s: Mapping[str, Any], field: str, condition: bool, because: str
) -> Iterable[tuple[str, str]]:
    if condition and not _given(s, field):
        yield field, f"is required when {because}"
    elif not condition and _given(s, field):
        yield field, f"is only accepted when {because}"


def _conditionals(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    visibility = s.get("decision_visibility") or []
    content_type = s.get("content_type") or []
    ground = s.get("decision_ground")
    yield from _required_iff(
        s,
        "decision_visibility_other",
        "DECISION_VISIBILITY_OTHER" in visibility,
        "decision_visibility holds DECISION_VISIBILITY_OTHER",
    )
    yield from _required_iff(
        s,
        "decision_monetary_other",
        s.get("decision_monetary") == "DECISION_MONETARY_OTHER",
        "decision_monetary is DECISION_MONETARY_OTHER",
    )
    yield from _required_iff(
        s,
        "content_type_other",
        "CONTENT_TYPE_OTHER" in content_type,
        "content_type holds CONTENT_TYPE_OTHER",
    )
    for field in ("illegal_content_legal_ground", "illegal_content_explanation"):
        yield from _required_iff(s, field, ground == ILLEGAL, f"decision_ground is {ILLEGAL}")
    for field in ("incompatible_content_ground", "incompatible_content_explanation"):
        yield from _required_iff(
            s, field, ground == INCOMPATIBLE, f"decision_ground is {INCOMPATIBLE}"
        )
    if _given(s, "incompatible_content_illegal") and ground != INCOMPATIBLE:
        yield (
            "incompatible_content_illegal",
            f"is only accepted when decision_ground is {INCOMPATIBLE}",
        )
    if _given(s, "source_identity") and s.get("source_type") == "SOURCE_VOLUNTARY":
        yield "source_identity", "is dropped when source_type is SOURCE_VOLUNTARY"


def _formats(s: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    puid = s.get("puid")
    if isinstance(puid, str) and puid and not PUID.match(puid):
        yield "puid", f"{puid!r} may only hold letters, digits, '-' and '_'"
    url = s.get("decision_ground_reference_url")
    if isinstance(url, str):
        parts = urlparse(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            yield "decision_ground_reference_url", f"{url!r} is not a URL"
    language = s.get("content_language")
    if language is not None and not (isinstance(language, str) and LANGUAGE.match(language)):
        yield "content_language", f"{language!r} is not an upper-case ISO 639-1 code"
    content_id = s.get("content_id")
    if content_id is not None:
        if not isinstance(content_id, dict) or set(content_id) != {"EAN-13"}:
            yield "content_id", f"must be {{'EAN-13': '<13 digits>'}}, got {content_id!r}"
        elif not (isinstance(content_id["EAN-13"], str) and EAN13.match(content_id["EAN-13"])):
            yield "content_id", f"EAN-13 must be 13 digits, got {content_id['EAN-13']!r}"
