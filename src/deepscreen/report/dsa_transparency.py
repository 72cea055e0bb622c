"""EU DSA transparency-report CSVs (Art. 15, 24, 42; Implementing Regulation (EU) 2024/2835), pure:
statements of reasons, complaints, classifier quality and quarter figures in, one ``Sheet`` per
CSV out. Sheets, format and counting rules: docs/internals/report.md."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from deepscreen.report.dsa import VISIBILITY_BY_ACTION
from deepscreen.report.dsa_codes import ILLEGAL_TAXONOMY, TAXONOMY

ALL = "All"
ONLINE_PLATFORMS = "Only for providers of online platforms"
TOTAL = "TOTAL"
OWN_INITIATIVE = "SOURCE_VOLUNTARY"
FULLY_AUTOMATED = "AUTOMATED_DECISION_FULLY"
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
KEYWORD_OTHER = "KEYWORD_OTHER"
CONTEXT_PREFIX = "Contextual Information on "
HOUR_SECONDS = 3600.0

# --------------------------------------------------------------------------- sheets 5 and 6

MEASURES = "Number of measures taken at the provider's own initiative "
SOLELY_AUTOMATED = "Number of measures taken after detection with solely automated means "

RESTRICTION_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "Visibility restriction Removal": ("DECISION_VISIBILITY_CONTENT_REMOVED",),
    "Visibility restriction Disable": ("DECISION_VISIBILITY_CONTENT_DISABLED",),
    "Visibility restriction Demoted": ("DECISION_VISIBILITY_CONTENT_DEMOTED",),
    "Visibility restriction Age restricted": ("DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",),
    "Visibility restriction Interaction restricted": (
        "DECISION_VISIBILITY_CONTENT_INTERACTION_RESTRICTED",
    ),
    "Visibility restriction Labelled ": ("DECISION_VISIBILITY_CONTENT_LABELLED",),
    "Visibility restriction Other": ("DECISION_VISIBILITY_OTHER",),
    "Monetary restriction Suspension": ("DECISION_MONETARY_SUSPENSION",),
    "Monetary restriction Termination": ("DECISION_MONETARY_TERMINATION",),
    "Monetary restriction Other": ("DECISION_MONETARY_OTHER",),
    "Provision of the service Suspension": (
        "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "DECISION_PROVISION_TOTAL_SUSPENSION",
    ),
    "Provision of the service Termination": (
        "DECISION_PROVISION_PARTIAL_TERMINATION",
        "DECISION_PROVISION_TOTAL_TERMINATION",
    ),
    "Account restriction Suspension": ("DECISION_ACCOUNT_SUSPENDED",),
    "Account restriction Termination": ("DECISION_ACCOUNT_TERMINATED",),
}
"""Sheet 5/6 restriction column → the SoR ``decision_*`` codes it counts (docs/metrics.md,
'Transparency report')."""

RESTRICTION_FIELDS = (
    "decision_visibility",
    "decision_monetary",
    "decision_provision",
    "decision_account",
)

VALUE_COLUMNS: tuple[str, ...] = (MEASURES, SOLELY_AUTOMATED, *RESTRICTION_COLUMNS)


def _own_initiative_header(category_column: str) -> tuple[str, ...]:
    return (
        "Applicability",
        "Service",
        "Reporting period",
        category_column,
        'Description of the sub-category "Other"',
        *VALUE_COLUMNS,
        *(CONTEXT_PREFIX + column for column in VALUE_COLUMNS),
    )


PART_5_HEADER = _own_initiative_header("Category of illegal content")
PART_6_HEADER = _own_initiative_header(
    "Category of incompatibility with the provider's terms and conditions"
)

IMPOSABLE: frozenset[str] = frozenset(VISIBILITY_BY_ACTION.values())
"""The SoR restriction codes deepscreen's actions can produce (label, downrank, age gate,
removal): every other restriction column is blank (never applies) unless a statement has it."""

# --------------------------------------------------------------------------- sheets 7 and 8

INDICATOR_HEADER = (
    "Applicability",
    "Service",
    "Reporting period",
    "Section",
    "Indicator",
    "Scope",
    "Value",
    "Contextual Information",
)
PART_1_HEADER = ("Applicability", "Service", "Indicator", "Value")

INTERNAL = "Internal complaints mechanism"
OUT_OF_COURT = "Out-of-court dispute settlement bodies"
REPEATED = "Suspensions imposed on repeated offenders"
COMPLAINTS = "Number of complaints submitted to the internal-complaints mechanism"
NEWLY_IMPOSED = "Number of restrictions newly imposed as a result of an internal complaint"
DISPUTES = "Number of disputes submitted to out-of-court dispute settlement bodies"
SUSPENSIONS = (
    "Number of suspensions enacted for the provision of manifestly illegal content ",
    "Number of suspensions enacted for the provision of manifestly unfounded notices",
    "Number of suspensions enacted for the provision of manifestly unfounded complaints",
)

S_TOTAL = "Total number"
S_UPHELD = "Decisions upheld"
S_PARTIAL = "Decisions partially reversed"
S_REVERSED = "Decisions reversed"
S_MEDIAN = "Median time"
S_OMITTED = "Decision omitted"
S_IMPLEMENTED = "Percentage of outcomes implemented"
S_OWN = "Own-initiative "

OUTCOME_SCOPES: Mapping[str, str] = {
    "upheld": S_UPHELD,
    "partially_reversed": S_PARTIAL,
    "reversed": S_REVERSED,
    "omitted": S_OMITTED,
}
"""``AppealOutcome`` values → the sheet 7 scopes (the same four, verbatim in the DSA)."""

COMPLAINT_INDICATORS: Mapping[str, str] = {
    "visibility": (
        "Complaint regarding a decision to remove or disable access to or restrict visibility "
        "of information"
    ),
    "provision": (
        "Complaint regarding a decision to suspend or terminate the provision of the service"
    ),
    "account": "Complaint regarding a decision to suspend or terminate an account ",
    "monetary": "Complaint regarding a decision to restrict the ability to monetise information",
    "notice": (
        "Complaint regarding a decision not to take action on a notice submitted in accordance "
        "with Article 16"
    ),
    "trusted_flagger": (
        "Complaint regarding a decision not to take action on a notice submitted by a Trusted "
        "Flagger in accordance with Article 16"
    ),
}
"""What a complaint is against (``Complaint.against``) → its sheet 7 indicator."""

COMPLAINT_PATHS: frozenset[str] = frozenset({"visibility"})
"""deepscreen takes complaints only against its (visibility) restrictions; the other indicators
never apply and stay blank, as does "restrictions newly imposed" (only a complaint against a
decision not to act can impose one)."""

AUTOMATED_SECTION = "Use of automated means for content moderation"
SOLELY_BY_AUTOMATED = "Number of measures solely taken by automated means "
NOT_BY_AUTOMATED = "Number of measures not taken by automated means"
QUALITY_INDICATORS: Mapping[str, str] = {
    "accuracy": "Accuracy of the automated means - Accuracy",
    "precision": "Accuracy of the automated means - Precision",
    "recall": "Accuracy of the automated means - Recall",
}

CSER_HEADER = (
    "quarter",
    "reporting_period",
    "uploads",
    "violating_per_10k_uploads",
    "violating_per_10k_uploads_ci_low",
    "violating_per_10k_uploads_ci_high",
    "labelled_items",
    "actioned",
    "proactive_rate",
    "appealed",
    "restored",
    "restored_with_appeal",
    "restored_without_appeal",
)
"""deepscreen's CSER-style quarterly table (Meta's five metrics, docs/metrics.md, 'Transparency
report')."""

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class ReportPeriod:
    """A reporting period of whole UTC days, ``start`` and ``end`` both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def label(self) -> str:
        """The templates' ``Reporting period`` value, ``YYYY-MM-DD/YYYY-MM-DD``."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"

    def bounds(self) -> tuple[datetime, datetime]:
        """``[since, until)`` in UTC: midnight of ``start`` to midnight after ``end``."""
        since = datetime.combine(self.start, time(), tzinfo=UTC)
        return since, datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def contains(self, when: datetime) -> bool:
        since, until = self.bounds()
        return since <= when < until


@dataclass(frozen=True, slots=True)
class Publication:
    """Sheet 1's values: who publishes, when, and when the previous report was (if ever)."""

    provider: str
    published: date
    previous: date | None = None


@dataclass(frozen=True, slots=True)
class Complaint:
    """One complaint to the internal complaint-handling system (DSA Art. 20).

    ``decided_at``/``outcome`` are None while it is pending; ``outcome`` is one of
    ``OUTCOME_SCOPES``; ``against`` one of ``COMPLAINT_INDICATORS``.
    """

    received_at: datetime
    decided_at: datetime | None = None
    outcome: str | None = None
    against: str = "visibility"

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at needs a time zone")
        if (self.decided_at is None) != (self.outcome is None):
            raise ValueError("a decided complaint needs both decided_at and outcome")
        if self.outcome is not None and self.outcome not in OUTCOME_SCOPES:
            raise ValueError(f"outcome {self.outcome!r} is not one of {sorted(OUTCOME_SCOPES)}")
        if self.against not in COMPLAINT_INDICATORS:
            raise ValueError(
                f"against {self.against!r} is not one of {sorted(COMPLAINT_INDICATORS)}"
            )
        if self.decided_at is not None and self.decided_at < self.received_at:
            raise ValueError("a complaint cannot be decided before it was received")


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure computed outside (e.g. a metric-table row): value, 95% interval, n, definition.

    ``value`` None means not estimable (nothing to estimate from); it is then reported blank.
    """

    value: float | None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    definition: str = ""

    def check_range(self, low: float, high: float, what: str) -> None:
        """ValueError unless every number given is finite and within ``[low, high]``."""
        for name, number in (
            ("value", self.value),
            ("ci_low", self.ci_low),
            ("ci_high", self.ci_high),
        ):
            if number is not None and not (math.isfinite(number) and low <= number <= high):
                raise ValueError(f"{what} {name} {number!r} is outside [{low}, {high}]")


@dataclass(frozen=True, slots=True)
class ClassifierQuality:
    """Accuracy, precision and recall of one automated means (a classifier, here a policy
    revision), each a share in [0, 1]. ``note`` is added to every row's contextual information
    (e.g. the false-positive rate, or how the labels were sampled)."""

    classifier: str
    accuracy: Estimate
    precision: Estimate
    recall: Estimate
    note: str = ""

    def __post_init__(self) -> None:
        for name in QUALITY_INDICATORS:
            getattr(self, name).check_range(0.0, 1.0, f"{self.classifier} {name}")


@dataclass(frozen=True, slots=True)
class QuarterFigures:
    """One calendar quarter of the CSER-style table, every figure computed outside.

    ``prevalence`` is violating per 10,000 uploads (in [0, 10000]); ``proactive_rate`` a share.
    """

    quarter: str
    period: ReportPeriod
    uploads: int
    prevalence: Estimate
    actioned: int
    proactive_rate: Estimate
    appealed: int
    restored_with_appeal: int
    restored_without_appeal: int

    def __post_init__(self) -> None:
        self.prevalence.check_range(0.0, 10_000.0, f"{self.quarter} prevalence")
        self.proactive_rate.check_range(0.0, 1.0, f"{self.quarter} proactive rate")
        counts = (
            self.uploads,
            self.actioned,
            self.appealed,
            self.restored_with_appeal,
            self.restored_without_appeal,
        )
        if any(count < 0 for count in counts):
            raise ValueError(f"{self.quarter}: counts must be >= 0")


@dataclass(frozen=True, slots=True)
class TransparencyInputs:
    """Everything the sheets are built from (each rule: docs/internals/report.md).

    ``statements``: the SoR dicts of the restrictions applied in the period.
    ``own_initiative_quality``: every measure the automated means take is own-initiative (the
    SoR ``source_type`` is ``SOURCE_VOLUNTARY``), so the Own-initiative quality rows repeat the
    total ones; otherwise they are blank.
    ``imposable``: the SoR restriction codes the service can impose (others: blank columns).
    ``complaint_paths``: what complaints may be against (``COMPLAINT_INDICATORS`` keys).
    """

    service: str
    period: ReportPeriod
    publication: Publication
    statements: Sequence[Mapping[str, Any]] = ()
    complaints: Sequence[Complaint] = ()
    quality: Sequence[ClassifierQuality] = ()
    quarters: Sequence[QuarterFigures] = ()
    own_initiative_quality: bool = True
    imposable: Collection[str] = IMPOSABLE
    complaint_paths: Collection[str] = COMPLAINT_PATHS


@dataclass(frozen=True, slots=True)
class Sheet:
    """One CSV file: ``name`` (the file stem, e.g. ``Part_5_own_initiative_illegal``), the
    header row and the data rows, every cell already a string."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.header):
                raise ValueError(
                    f"{self.name}: a row has {len(row)} cells, the header {len(self.header)}"
                )

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def csv_text(self) -> str:
        """RFC 4180: ``\\r\\n`` line ends, fields quoted only when they need it."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return buffer.getvalue()

    def csv_bytes(self) -> bytes:
        """The file's content: UTF-8, no byte-order mark."""
        return self.csv_text().encode("utf-8")


# --------------------------------------------------------------------------- cells


def count_cell(count: int | None) -> str:
    """A counting indicator: an integer; None (never applies) is blank."""
    return "" if count is None else str(int(count))


def float_cell(value: float | None) -> str:
    """A rate or a median: a float with at most 6 decimals, always with a decimal point
    (``0.5``, ``1.0``); None (not estimable or never applies) is blank."""
    if value is None or not math.isfinite(value):
        return ""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _number(value: float | None) -> str:
    return "–" if value is None or not math.isfinite(value) else f"{value:.4g}"


def estimate_context(estimate: Estimate, prefix: str = "") -> str:
    """``prefix`` + interval, n and definition, for a Contextual Information cell."""
    parts = [prefix] if prefix else []
    if estimate.value is None:
        parts.append(f"Not estimable (n = {estimate.n}).")
    elif estimate.ci_low is not None and estimate.ci_high is not None:
        parts.append(
            f"95% interval {_number(estimate.ci_low)}–{_number(estimate.ci_high)}, "
            f"n = {estimate.n}."
        )
    else:
        parts.append(f"No interval; n = {estimate.n}.")
    if estimate.definition:
        parts.append(estimate.definition)
    return " ".join(parts)


# --------------------------------------------------------------------------- sheet 1


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
    (INCOMPATIBLE): TOTAL, then each category and its keywords (docs/internals/report.md)."""
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


# --------------------------------------------------------------------------- sheet 7


def hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / HOUR_SECONDS


def median_hours(complaints: Iterable[Complaint]) -> float | None:
    """Median (mean of the two middle values for an even count) of received → decided in hours
    over decided, not omitted, complaints; None when there are none."""
    hours = [
        hours_between(c.received_at, c.decided_at)
        for c in complaints
        if c.decided_at is not None and c.outcome != "omitted"
    ]
    return statistics.median(hours) if hours else None


def _indicator_row(
    inputs: TransparencyInputs,
    applicability: str,
    section: str,
    indicator: str,
    scope: str,
    value: str,
    context: str = "",
) -> tuple[str, ...]:
    return (
        applicability,
        inputs.service,
        inputs.period.label,
        section,
        indicator,
        scope,
        value,
        context,
    )


def _outcome_rows(
    inputs: TransparencyInputs,
    indicator: str,
    complaints: Sequence[Complaint] | None,
    scopes: Sequence[str],
    first_applicability: str,
) -> list[tuple[str, ...]]:
    """Total, per-outcome counts and median time for complaints of one indicator; every cell
    blank (with a reason) when ``complaints`` is None, i.e. the path does not exist."""
    _, until = inputs.period.bounds()
    rows = []
    for index, scope in enumerate(scopes):
        applicability = first_applicability if index == 0 else ONLINE_PLATFORMS
        if complaints is None:
            reason = (
                "Blank: the service has no complaint path for such decisions." if index == 0 else ""
            )
            rows.append(
                _indicator_row(inputs, applicability, INTERNAL, indicator, scope, "", reason)
            )
            continue
        decided = [c for c in complaints if c.decided_at is not None and c.decided_at < until]
        if scope == S_TOTAL:
            value = count_cell(len(complaints))
            context = (
                "Complaints received in the reporting period (UTC), decided or pending."
                if index == 0
                else ""
            )
        elif scope == S_MEDIAN:
            median = median_hours(decided)
            value = float_cell(median)
            context = (
                "Hours from receipt to decision, over complaints received in the period and "
                "decided before it ended (omitted decisions excluded)."
                + ("" if median is not None else " Blank: no such complaint.")
            )
        else:
            outcome = next(o for o, s in OUTCOME_SCOPES.items() if s == scope)
            value = count_cell(sum(c.outcome == outcome for c in decided))
            context = (
                "Complaints received in the period, decided before it ended."
                if scope == S_UPHELD
                else ""
            )
        rows.append(
            _indicator_row(inputs, applicability, INTERNAL, indicator, scope, value, context)
        )
    return rows


def appeals_sheet(inputs: TransparencyInputs) -> Sheet:
    """``Part_7_appeals_and_recidivism``: the internal complaints section from ``complaints``;
    out-of-court disputes and repeat-offender suspensions are blank (no such data or action)."""
    received = [c for c in inputs.complaints if inputs.period.contains(c.received_at)]
    paths = set(inputs.complaint_paths) | {c.against for c in received}
    rows = _outcome_rows(
        inputs,
        COMPLAINTS,
        received,
        (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN, S_OMITTED),
        ALL,
    )
    can_impose = paths & {"notice", "trusted_flagger"}
    _, until = inputs.period.bounds()
    newly = [
        c
        for c in received
        if c.against in can_impose
        and c.decided_at is not None
        and c.decided_at < until
        and c.outcome in ("reversed", "partially_reversed")
    ]
    rows.append(
        _indicator_row(
            inputs,
            ONLINE_PLATFORMS,
            INTERNAL,
            NEWLY_IMPOSED,
            S_TOTAL,
            count_cell(len(newly)) if can_impose else "",
            "Reversed or partially reversed complaints against a decision not to act on a notice."
            if can_impose
            else "Blank: complaints are only taken against restrictions, which a complaint can "
            "lift but never newly impose.",
        )
    )
    for against, indicator in COMPLAINT_INDICATORS.items():
        of_path = [c for c in received if c.against == against] if against in paths else None
        rows.extend(
            _outcome_rows(
                inputs,
                indicator,
                of_path,
                (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN),
                ONLINE_PLATFORMS,
            )
        )
    no_disputes = "Blank: out-of-court dispute settlements are not recorded by this service."
    for index, scope in enumerate(
        (S_TOTAL, S_UPHELD, S_PARTIAL, S_REVERSED, S_MEDIAN, S_OMITTED, S_IMPLEMENTED)
    ):
        rows.append(
            _indicator_row(
                inputs,
                ONLINE_PLATFORMS,
                OUT_OF_COURT,
                DISPUTES,
                scope,
                "",
                no_disputes if index == 0 else "",
            )
        )
    for indicator in SUSPENSIONS:
        rows.append(
            _indicator_row(
                inputs,
                ONLINE_PLATFORMS,
                REPEATED,
                indicator,
                S_TOTAL,
                "",
                "Blank: the service suspends no accounts.",
            )
        )
    return Sheet("Part_7_appeals_and_recidivism", INDICATOR_HEADER, tuple(rows))


# --------------------------------------------------------------------------- sheet 8


def _quality_rows(
    inputs: TransparencyInputs, scope: str, quality: Sequence[ClassifierQuality] | None
) -> list[tuple[str, ...]]:
    """Accuracy/Precision/Recall rows per classifier; blank rows with the reason when
    ``quality`` is None (not reported for this scope) or empty (none supplied)."""
    if not quality:
        reason = (
            "Blank: the automated means do not act on own initiative only, and their accuracy "
            "is not measured per source."
            if quality is None
            else "Blank: no classifier had labelled items in the period."
        )
        return [
            _indicator_row(inputs, ALL, AUTOMATED_SECTION, indicator, scope, "", reason)
            for indicator in QUALITY_INDICATORS.values()
        ]
    rows = []
    for entry in quality:
        for name, indicator in QUALITY_INDICATORS.items():
            estimate: Estimate = getattr(entry, name)
            context = estimate_context(estimate, f"Classifier: {entry.classifier}.")
            if entry.note:
                context = f"{context} {entry.note}"
            rows.append(
                _indicator_row(
                    inputs,
                    ALL,
                    AUTOMATED_SECTION,
                    indicator,
                    scope,
                    float_cell(estimate.value),
                    context,
                )
            )
    return rows


def automated_means_sheet(inputs: TransparencyInputs) -> Sheet:
    """``Part_8_automated_means``: measures solely / not solely automated (all sources, then own
    initiative) and the supplied accuracy, precision and recall per classifier."""
    statements = list(inputs.statements)
    own = [s for s in statements if s.get("source_type") == OWN_INITIATIVE]
    rows: list[tuple[str, ...]] = []
    for scope, selected, quality in (
        (S_TOTAL, statements, list(inputs.quality)),
        (S_OWN, own, list(inputs.quality) if inputs.own_initiative_quality else None),
    ):
        solely = sum(s.get("automated_decision") == FULLY_AUTOMATED for s in selected)
        selection = (
            "Statements of reasons whose restriction started in the reporting period (UTC)"
            + (f", source_type {OWN_INITIATIVE}" if scope == S_OWN else "")
        )
        rows.append(
            _indicator_row(
                inputs,
                ALL,
                AUTOMATED_SECTION,
                SOLELY_BY_AUTOMATED,
                scope,
                count_cell(solely),
                f"{selection}, automated_decision {FULLY_AUTOMATED}.",
            )
        )
        rows.append(
            _indicator_row(
                inputs,
                ALL,
                AUTOMATED_SECTION,
                NOT_BY_AUTOMATED,
                scope,
                count_cell(len(selected) - solely),
                f"{selection}, not solely automated: a person confirmed or chose the action.",
            )
        )
        rows.extend(_quality_rows(inputs, scope, quality))
    return Sheet("Part_8_automated_means", INDICATOR_HEADER, tuple(rows))


# --------------------------------------------------------------------------- CSER quarters


def calendar_quarters(period: ReportPeriod) -> list[tuple[str, ReportPeriod]]:
    """The calendar quarters the period touches, each clipped to the period: (``2026-Q1``,
    days of that quarter inside the period)."""
    quarters = []
    first = date(period.start.year, 3 * ((period.start.month - 1) // 3) + 1, 1)
    while first <= period.end:
        month = first.month + 3
        after = date(first.year + (month > 12), (month - 1) % 12 + 1, 1)
        clipped = ReportPeriod(max(first, period.start), min(after - timedelta(days=1), period.end))
        quarters.append((f"{first.year}-Q{(first.month - 1) // 3 + 1}", clipped))
        first = after
    return quarters


def cser_sheet(quarters: Iterable[QuarterFigures]) -> Sheet:
    """``CSER_quarterly``: one row per quarter, values as supplied (prevalence per 10,000 with
    its interval and n; proactive rate a share)."""
    rows = []
    for q in quarters:
        rows.append(
            (
                q.quarter,
                q.period.label,
                count_cell(q.uploads),
                float_cell(q.prevalence.value),
                float_cell(q.prevalence.ci_low),
                float_cell(q.prevalence.ci_high),
                count_cell(q.prevalence.n),
                count_cell(q.actioned),
                float_cell(q.proactive_rate.value),
                count_cell(q.appealed),
                count_cell(q.restored_with_appeal + q.restored_without_appeal),
                count_cell(q.restored_with_appeal),
                count_cell(q.restored_without_appeal),
            )
        )
    return Sheet("CSER_quarterly", CSER_HEADER, tuple(rows))


# --------------------------------------------------------------------------- all


def transparency_sheets(inputs: TransparencyInputs) -> list[Sheet]:
    """Every sheet deepscreen fills, in the templates' order, the CSER table last."""
    return [
        summary_sheet(inputs),
        own_initiative_sheet(inputs, ILLEGAL),
        own_initiative_sheet(inputs, INCOMPATIBLE),
        appeals_sheet(inputs),
        automated_means_sheet(inputs),
        cser_sheet(inputs.quarters),
    ]
