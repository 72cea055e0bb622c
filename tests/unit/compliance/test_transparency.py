"""DSA transparency-report sheets: verbatim headers, the 0/blank rule, units, counting rules."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from deepscreen.compliance.codes import KEYWORDS, STATEMENT_CATEGORIES, TAXONOMY
from deepscreen.compliance.sor import Restriction, SorConfig, statement_of_reasons
from deepscreen.compliance.transparency.appeals import appeals_sheet
from deepscreen.compliance.transparency.cells import float_cell
from deepscreen.compliance.transparency.inputs import (
    ClassifierQuality,
    Complaint,
    Publication,
    Sheet,
    TransparencyInputs,
)
from deepscreen.compliance.transparency.own_initiative import own_initiative_sheet, summary_sheet
from deepscreen.compliance.transparency.sheets import (
    automated_means_sheet,
    cser_sheet,
    transparency_sheets,
)
from deepscreen.impact.dsa_estimates import (
    Estimate,
    QuarterFigures,
    ReportPeriod,
    calendar_quarters,
)

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
H = timedelta(hours=1)
PERIOD = ReportPeriod(date(2026, 1, 1), date(2026, 6, 30))
PUBLICATION = Publication("Example Media Ltd", date(2026, 8, 1))
ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"
DEEPFAKE_TC = "STATEMENT_CATEGORY_OTHER_VIOLATION_TC"
SOLELY = "Number of measures taken after detection with solely automated means "

# Header lines verbatim from the Commission's English CSV templates (Implementing Regulation
# (EU) 2024/2835, Annex I), trailing spaces included.
_OWN_VALUES = (
    "Number of measures taken at the provider's own initiative ,"
    "Number of measures taken after detection with solely automated means ,"
    "Visibility restriction Removal,Visibility restriction Disable,Visibility restriction Demoted,"
    "Visibility restriction Age restricted,Visibility restriction Interaction restricted,"
    "Visibility restriction Labelled ,Visibility restriction Other,"
    "Monetary restriction Suspension,Monetary restriction Termination,Monetary restriction Other,"
    "Provision of the service Suspension,Provision of the service Termination,"
    "Account restriction Suspension,Account restriction Termination,"
    "Contextual Information on Number of measures taken at the provider's own initiative ,"
    "Contextual Information on Number of measures taken after detection with solely automated "
    "means ,"
    "Contextual Information on Visibility restriction Removal,"
    "Contextual Information on Visibility restriction Disable,"
    "Contextual Information on Visibility restriction Demoted,"
    "Contextual Information on Visibility restriction Age restricted,"
    "Contextual Information on Visibility restriction Interaction restricted,"
    "Contextual Information on Visibility restriction Labelled ,"
    "Contextual Information on Visibility restriction Other,"
    "Contextual Information on Monetary restriction Suspension,"
    "Contextual Information on Monetary restriction Termination,"
    "Contextual Information on Monetary restriction Other,"
    "Contextual Information on Provision of the service Suspension,"
    "Contextual Information on Provision of the service Termination,"
    "Contextual Information on Account restriction Suspension,"
    "Contextual Information on Account restriction Termination"
)
PART_5_LINE = (
    "Applicability,Service,Reporting period,Category of illegal content,"
    '"Description of the sub-category ""Other""",' + _OWN_VALUES
)
PART_6_LINE = (
    "Applicability,Service,Reporting period,"
    "Category of incompatibility with the provider's terms and conditions,"
    '"Description of the sub-category ""Other""",' + _OWN_VALUES
)
PART_7_8_LINE = (
    "Applicability,Service,Reporting period,Section,Indicator,Scope,Value,Contextual Information"
)
PART_1_LINE = "Applicability,Service,Indicator,Value"


def statement(
    n: int,
    action: str = "label",
    *,
    human: bool = False,
    **config: Any,
) -> dict[str, Any]:
    restriction = Restriction(
        decision_id=f"d{n}",
        action=action,
        media_kind="image",
        policy_revision="r1",
        rule_id="rule",
        content_at=T0,
        applied_at=T0,
        human_reviewed=human,
    )
    return statement_of_reasons(restriction, SorConfig(**config))


def inputs(**overrides: Any) -> TransparencyInputs:
    values: dict[str, Any] = {
        "service": "Example Video",
        "period": PERIOD,
        "publication": PUBLICATION,
    }
    return TransparencyInputs(**(values | overrides))


def parsed(sheet: Sheet) -> list[dict[str, str]]:
    """The sheet as the csv module reads it back (header → cell)."""
    return list(csv.DictReader(io.StringIO(sheet.csv_text(), newline="")))


def row(sheet: Sheet, label: str, column: int = 3) -> tuple[str, ...]:
    (found,) = [r for r in sheet.rows if r[column] == label]
    return found


def cell(sheet: Sheet, r: tuple[str, ...], name: str) -> str:
    return r[sheet.header.index(name)]


# --------------------------------------------------------------------------- headers


def first_line(sheet: Sheet) -> str:
    return sheet.csv_text().split("\r\n", 1)[0]


def test_headers_verbatim_when_written() -> None:
    built = inputs()
    assert first_line(summary_sheet(built)) == PART_1_LINE
    assert first_line(own_initiative_sheet(built, ILLEGAL)) == PART_5_LINE
    assert first_line(own_initiative_sheet(built, INCOMPATIBLE)) == PART_6_LINE
    assert first_line(appeals_sheet(built)) == PART_7_8_LINE
    assert first_line(automated_means_sheet(built)) == PART_7_8_LINE


def test_sheet_names_and_template_row_counts() -> None:
    sheets = {s.name: s for s in transparency_sheets(inputs())}
    assert list(sheets) == [
        "Part_1_summary",
        "Part_5_own_initiative_illegal",
        "Part_6_own_initiative_TC",
        "Part_7_appeals_and_recidivism",
        "Part_8_automated_means",
        "CSER_quarterly",
    ]
    # The templates' data rows: TOTAL + 14 categories + 75 keywords; + category 15 and its 7.
    assert len(sheets["Part_5_own_initiative_illegal"].rows) == 90
    assert len(sheets["Part_6_own_initiative_TC"].rows) == 98
    assert len(sheets["Part_7_appeals_and_recidivism"].rows) == 47


def test_taxonomy_uses_only_database_codes() -> None:
    assert {c for c, _ in TAXONOMY} <= STATEMENT_CATEGORIES
    assert {k for _, ks in TAXONOMY for k in ks} <= KEYWORDS
    assert all(keywords[-1] == "KEYWORD_OTHER" for _, keywords in TAXONOMY)


# --------------------------------------------------------------------------- format rules


def test_csv_round_trips_with_crlf_and_utf8() -> None:
    built = inputs(
        statements=[statement(1, category_specification_other='Deepfake, "undisclosed" – ü')]
    )
    for sheet in transparency_sheets(built):
        text = sheet.csv_text()
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
        reread = list(csv.reader(io.StringIO(text, newline="")))
        assert tuple(reread[0]) == sheet.header
        assert [tuple(r) for r in reread[1:]] == list(sheet.rows)
        assert sheet.csv_bytes().decode("utf-8") == text
        assert not sheet.csv_bytes().startswith(b"\xef\xbb\xbf")


def test_period_column_format_on_every_row() -> None:
    built = inputs(statements=[statement(1)], complaints=[Complaint(T0)])
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2}/\d{4}-\d{2}-\d{2}$")
    for sheet in transparency_sheets(built)[1:5]:
        periods = {r["Reporting period"] for r in parsed(sheet)}
        assert periods == {"2026-01-01/2026-06-30"}
        assert all(pattern.match(p) for p in periods)


def test_counts_are_integers_and_never_imposed_restrictions_blank() -> None:
    sheet = own_initiative_sheet(inputs(statements=[statement(1), statement(2)]), INCOMPATIBLE)
    total = parsed(sheet)[0]
    assert total["Category of incompatibility with the provider's terms and conditions"] == "TOTAL"
    assert total["Number of measures taken at the provider's own initiative "] == "2"
    assert total["Visibility restriction Labelled "] == "2"
    for applies_but_none in ("Removal", "Demoted", "Age restricted"):
        assert total[f"Visibility restriction {applies_but_none}"] == "0"
    for never in (
        "Visibility restriction Disable",
        "Visibility restriction Interaction restricted",
        "Visibility restriction Other",
        "Monetary restriction Suspension",
        "Monetary restriction Other",
        "Provision of the service Suspension",
        "Account restriction Termination",
    ):
        assert total[never] == ""
    for record in parsed(sheet):
        for name in sheet.header[5:21]:
            value = record[name]
            assert value == "" or (value.isdigit() and int(value) >= 0), (name, value)


def test_observed_restriction_column_applies_even_if_not_declared() -> None:
    disabled = statement(1) | {"decision_visibility": ["DECISION_VISIBILITY_CONTENT_DISABLED"]}
    sheet = own_initiative_sheet(inputs(statements=[disabled]), INCOMPATIBLE)
    assert cell(sheet, sheet.rows[0], "Visibility restriction Disable") == "1"
    assert cell(sheet, sheet.rows[0], "Monetary restriction Other") == ""


def test_float_cells_keep_a_decimal_point() -> None:
    assert [float_cell(v) for v in (1, 0.0, 0.5, 24.0, 1 / 3, None, float("nan"))] == [
        "1.0",
        "0.0",
        "0.5",
        "24.0",
        "0.333333",
        "",
        "",
    ]


# --------------------------------------------------------------------------- sheets 5, 6


def test_total_is_sum_of_categories_without_double_counting() -> None:
    statements = [
        statement(1, category_specification=("KEYWORD_NUDITY", "KEYWORD_ADULT_SEXUAL_MATERIAL")),
        statement(2, category_specification=("KEYWORD_OTHER",)),
        statement(3, category_specification=("KEYWORD_OTHER", "KEYWORD_NUDITY")),
        statement(4, "remove", human=True, category_specification=()),
        statement(
            5,
            category="STATEMENT_CATEGORY_SCAMS_AND_FRAUD",
            category_specification=("KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING",),
        ),
    ]
    sheet = own_initiative_sheet(inputs(statements=statements), INCOMPATIBLE)
    measures = "Number of measures taken at the provider's own initiative "
    total = int(cell(sheet, sheet.rows[0], measures))
    categories = [r for r in sheet.rows if r[3].startswith("STATEMENT_CATEGORY_")]
    assert total == 5 == sum(int(cell(sheet, r, measures)) for r in categories)
    tc = row(sheet, DEEPFAKE_TC)
    assert cell(sheet, tc, measures) == "4"
    # Nudity is listed after adult material in the template: adult material takes #1.
    assert cell(sheet, row(sheet, "KEYWORD_ADULT_SEXUAL_MATERIAL"), measures) == "1"
    assert cell(sheet, row(sheet, "KEYWORD_NUDITY"), measures) == "1"  # #3: specific beats OTHER
    other_rows = [r for r in sheet.rows if r[3] == "KEYWORD_OTHER"]
    assert [cell(sheet, r, measures) for r in other_rows].count("1") == 1  # only #2
    assert cell(sheet, row(sheet, "KEYWORD_IMPERSONATION_ACCOUNT_HIJACKING"), measures) == "1"
    assert cell(sheet, tc, "Visibility restriction Removal") == "1"
    assert cell(sheet, tc, SOLELY) == "3"


def test_other_keyword_row_carries_the_description() -> None:
    statements = [
        statement(1, category_specification_other="Undisclosed AI media"),
        statement(2, category_specification_other="Synthetic voice clone"),
    ]
    sheet = own_initiative_sheet(inputs(statements=statements), INCOMPATIBLE)
    (other,) = [r for r in sheet.rows[-7:] if r[3] == "KEYWORD_OTHER"]
    assert other[4] == "Synthetic voice clone; Undisclosed AI media"
    assert all(r[4] == "" for r in sheet.rows if r[3] != "KEYWORD_OTHER")


def test_ground_and_source_select_the_sheet() -> None:
    illegal = statement(
        1,
        decision_ground=ILLEGAL,
        illegal_content_legal_ground="Art. 201a StGB",
        illegal_content_explanation="Non-consensual deepfake",
        category="STATEMENT_CATEGORY_CYBER_VIOLENCE",
        category_specification=("KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE",),
    )
    notified = statement(2, source_type="SOURCE_ARTICLE_16", source_identity="notifier")
    built = inputs(statements=[illegal, notified, statement(3)])
    part5 = own_initiative_sheet(built, ILLEGAL)
    part6 = own_initiative_sheet(built, INCOMPATIBLE)
    assert cell(part5, part5.rows[0], SOLELY) == "1"
    assert cell(part5, row(part5, "KEYWORD_NON_CONSENSUAL_MATERIAL_DEEPFAKE"), SOLELY) == "1"
    assert cell(part6, part6.rows[0], SOLELY) == "1"  # the notice-based one is not own-initiative


def test_category_outside_the_template_is_appended() -> None:
    misfiled = statement(1, decision_ground=ILLEGAL, illegal_content_legal_ground="law")
    sheet = own_initiative_sheet(inputs(statements=[misfiled]), ILLEGAL)
    assert sheet.rows[-1][3] == DEEPFAKE_TC
    assert cell(sheet, sheet.rows[-1], SOLELY) == cell(sheet, sheet.rows[0], SOLELY) == "1"


# --------------------------------------------------------------------------- sheet 7


def indicator_value(sheet: Sheet, indicator: str, scope: str) -> str:
    (found,) = [r for r in sheet.rows if r[4] == indicator and r[5] == scope]
    return found[6]


COMPLAINTS = "Number of complaints submitted to the internal-complaints mechanism"


def test_complaint_counts_and_median_in_hours() -> None:
    end = datetime(2026, 7, 1, tzinfo=UTC)
    complaints = [
        Complaint(T0, T0 + 24 * H, "upheld"),
        Complaint(T0, T0 + 2 * H, "reversed"),
        Complaint(T0, T0 + 4 * H, "partially_reversed"),
        Complaint(T0, T0 + 500 * H, "omitted"),  # counted, not in the median
        Complaint(end - H, end + H, "reversed"),  # decided after the period: pending here
        Complaint(T0),  # pending
        Complaint(datetime(2025, 12, 31, 23, tzinfo=UTC), T0, "upheld"),  # received before
    ]
    sheet = appeals_sheet(inputs(complaints=complaints))
    assert indicator_value(sheet, COMPLAINTS, "Total number") == "6"
    assert indicator_value(sheet, COMPLAINTS, "Decisions upheld") == "1"
    assert indicator_value(sheet, COMPLAINTS, "Decisions reversed") == "1"
    assert indicator_value(sheet, COMPLAINTS, "Decisions partially reversed") == "1"
    assert indicator_value(sheet, COMPLAINTS, "Decision omitted") == "1"
    assert indicator_value(sheet, COMPLAINTS, "Median time") == "4.0"  # of 2, 4, 24 hours
    visibility = (
        "Complaint regarding a decision to remove or disable access to or restrict visibility "
        "of information"
    )
    assert indicator_value(sheet, visibility, "Total number") == "6"


def test_median_blank_with_reason_and_paths_never_offered_blank() -> None:
    sheet = appeals_sheet(inputs(complaints=[Complaint(T0)]))
    median = [r for r in sheet.rows if r[4] == COMPLAINTS and r[5] == "Median time"][0]
    assert median[6] == "" and "no such complaint" in median[7]
    assert indicator_value(sheet, COMPLAINTS, "Decisions reversed") == "0"
    account = "Complaint regarding a decision to suspend or terminate an account "
    assert indicator_value(sheet, account, "Total number") == ""
    assert (
        indicator_value(
            sheet,
            "Number of restrictions newly imposed as a result of an internal complaint",
            "Total number",
        )
        == ""
    )
    out_of_court = [r for r in sheet.rows if r[3] == "Out-of-court dispute settlement bodies"]
    assert len(out_of_court) == 7 and all(r[6] == "" for r in out_of_court)


def test_complaint_rejects_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="both"):
        Complaint(T0, T0 + H)
    with pytest.raises(ValueError, match="outcome"):
        Complaint(T0, T0 + H, "granted")
    with pytest.raises(ValueError, match="before"):
        Complaint(T0, T0 - H, "upheld")
    with pytest.raises(ValueError, match="time zone"):
        Complaint(datetime(2026, 3, 1))


# --------------------------------------------------------------------------- sheet 8


def quality(precision: float = 0.9) -> ClassifierQuality:
    return ClassifierQuality(
        "policy revision 'r1'",
        accuracy=Estimate(0.95, n=400, definition="accuracy def"),
        precision=Estimate(precision, 0.85, 0.93, 120, "precision def"),
        recall=Estimate(None, definition="needs unactioned labels"),
    )


def test_automated_measures_and_quality_rows() -> None:
    statements = [
        statement(1),
        statement(2, "remove", human=True),
        statement(3, source_type="SOURCE_ARTICLE_16", source_identity="x"),
    ]
    sheet = automated_means_sheet(inputs(statements=statements, quality=[quality()]))
    solely = "Number of measures solely taken by automated means "
    not_solely = "Number of measures not taken by automated means"
    assert indicator_value(sheet, solely, "Total number") == "2"
    assert indicator_value(sheet, not_solely, "Total number") == "1"
    assert indicator_value(sheet, solely, "Own-initiative ") == "1"
    assert indicator_value(sheet, not_solely, "Own-initiative ") == "1"
    precision = [r for r in sheet.rows if r[4].endswith("- Precision") and r[5] == "Total number"]
    assert precision[0][6] == "0.9"
    assert "policy revision 'r1'" in precision[0][7] and "n = 120" in precision[0][7]
    assert "0.85–0.93" in precision[0][7] and "precision def" in precision[0][7]
    recall = [r for r in sheet.rows if r[4].endswith("- Recall")][0]
    assert recall[6] == "" and "Not estimable" in recall[7]
    for record in parsed(sheet):
        if record["Indicator"].startswith("Accuracy of the automated means") and record["Value"]:
            assert 0.0 <= float(record["Value"]) <= 1.0


def test_own_initiative_quality_blank_when_means_not_own_initiative_only() -> None:
    sheet = automated_means_sheet(inputs(quality=[quality()], own_initiative_quality=False))
    own = [r for r in sheet.rows if r[5] == "Own-initiative " and r[4].startswith("Accuracy")]
    assert len(own) == 3 and all(r[6] == "" and r[7] for r in own)


def test_quality_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        quality(precision=1.2)
    with pytest.raises(ValueError, match="outside"):
        quality(precision=float("nan"))


# --------------------------------------------------------------------------- sheet 1, CSER


def test_summary_rows() -> None:
    built = inputs(publication=Publication("Example Media Ltd", date(2026, 8, 1), date(2026, 2, 1)))
    values = {r["Indicator"]: r["Value"] for r in parsed(summary_sheet(built))}
    assert values == {
        "Name of the service provider": "Example Media Ltd",
        "Date of the publication of the report": "2026-08-01",
        "Date of the publication of the latest previous report": "2026-02-01",
        "Starting date of reporting period": "2026-01-01",
        "Ending date of reporting period": "2026-06-30",
    }
    assert {r["Service"] for r in parsed(summary_sheet(built))} == {"Example Video"}


def test_calendar_quarters_clipped_to_the_period() -> None:
    quarters = calendar_quarters(ReportPeriod(date(2025, 11, 15), date(2026, 7, 10)))
    assert [(q, p.label) for q, p in quarters] == [
        ("2025-Q4", "2025-11-15/2025-12-31"),
        ("2026-Q1", "2026-01-01/2026-03-31"),
        ("2026-Q2", "2026-04-01/2026-06-30"),
        ("2026-Q3", "2026-07-01/2026-07-10"),
    ]


def test_cser_row_values_as_supplied() -> None:
    q1 = QuarterFigures(
        "2026-Q1",
        ReportPeriod(date(2026, 1, 1), date(2026, 3, 31)),
        uploads=1000,
        prevalence=Estimate(25.0, 12.5, 44.0, 800),
        actioned=40,
        proactive_rate=Estimate(0.75),
        appealed=4,
        restored_with_appeal=1,
        restored_without_appeal=2,
    )
    (record,) = parsed(cser_sheet([q1]))
    assert record == {
        "quarter": "2026-Q1",
        "reporting_period": "2026-01-01/2026-03-31",
        "uploads": "1000",
        "violating_per_10k_uploads": "25.0",
        "violating_per_10k_uploads_ci_low": "12.5",
        "violating_per_10k_uploads_ci_high": "44.0",
        "labelled_items": "800",
        "actioned": "40",
        "proactive_rate": "0.75",
        "appealed": "4",
        "restored": "3",
        "restored_with_appeal": "1",
        "restored_without_appeal": "2",
    }
    with pytest.raises(ValueError, match="proactive rate"):
        QuarterFigures("q", PERIOD, 1, Estimate(None), 0, Estimate(1.5), 0, 0, 0)


def test_period_rejects_end_before_start() -> None:
    with pytest.raises(ValueError, match="before"):
        ReportPeriod(date(2026, 2, 1), date(2026, 1, 31))
    since, until = PERIOD.bounds()
    assert PERIOD.contains(since) and not PERIOD.contains(until)
