"""Readable output: every table and chart of the report and the case study shows human labels
(``core.metrics.label``) with units, numbers from the one formatter, durations in hours,
and per-day/per-month figures that say how they were scaled."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from typing import Any

import pytest

from deepscreen.core import metrics as definitions
from deepscreen.report import charts
from deepscreen.report.case_study import CHART_METRICS, case_study
from deepscreen.report.formatting import comparison_cells, label, metric_cells, scaling
from deepscreen.report.html import case_study_chart, case_study_html, report_html
from deepscreen.report.markdown import case_study_markdown, report_markdown
from deepscreen.report.sections import sections

MINUTES = re.compile(r"\d\s*(min|minutes?)\b")
MONTH_FORMULA = "review cost ÷ 2,000 items × 3,000,000 uploads/month"
UNIT_WORDS = ("%", "hours", "per 10,000", "count", "items", "views", "USD", "EUR", "a day")
SVG = "{http://www.w3.org/2000/svg}"


def raw_ids(doc: dict[str, Any]) -> set[str]:
    """Every metric id the document carries, and every id the registry defines."""
    names = set(definitions.REGISTRY)
    names |= {r["metric"] for r in doc["metrics"]}
    names |= {r["metric"] for r in doc["comparison"]["metrics"]}
    names |= {r["metric"] for r in doc["daily"]}
    return names


class Cells(HTMLParser):
    """Table cells of an HTML page: (tag, attributes, visible text), SVG charts skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, dict[str, str | None], str]] = []
        self._open: list[tuple[str, dict[str, str | None], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("td", "th"):
            self._open.append((tag, dict(attrs), []))
        elif tag == "br" and self._open:
            self._open[-1][2].append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open:
            name, attrs, text = self._open.pop()
            self.cells.append((name, attrs, " ".join("".join(text).split())))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)


def cells(html: str) -> list[tuple[str, dict[str, str | None], str]]:
    parser = Cells()
    parser.feed(html)
    return parser.cells


def svg_texts(svg: str | None, role: str = "") -> list[str]:
    """Texts of the SVG; with ``role`` (``axis-title``, ``axis-label``), only those."""
    assert svg is not None
    root = ET.fromstring(svg)
    out = []
    for group in root.iter(f"{SVG}g"):
        if role and f"role-{role}" not in (group.get("class") or ""):
            continue
        out += ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]
    return out


# --------------------------------------------------------------------------- report tables


def test_report_tables_show_labels_not_raw_ids(report_doc: dict[str, Any]) -> None:
    html = report_html(report_doc)
    ids = raw_ids(report_doc)
    found = cells(html)
    tagged = [(attrs["data-metric"], text) for _, attrs, text in found if attrs.get("data-metric")]
    assert len(tagged) > 40  # every metric row and metric header is tagged with its id
    for metric, text in tagged:
        assert text.startswith(label(metric)), (metric, text)
        assert metric not in text.split(), (metric, text)  # the id is the tooltip, not the text
        assert label(metric) != metric, f"{metric} has no label in core.metrics"
    no_code = re.sub(r'<code class="id">[^<]*</code>', "", html)
    visible = [text for _, _, text in cells(no_code)]
    assert not [t for t in visible if t in ids], "a raw metric id is shown as a label"
    # The definitions table keeps the ids findable, as code that does not wrap.
    assert '<code class="id">violating_per_10k_uploads</code>' in html


def test_markdown_report_shows_labels_and_keeps_ids_in_the_definitions(
    report_doc: dict[str, Any],
) -> None:
    text = report_markdown(report_doc)
    ids = raw_ids(report_doc)
    table_cells = [
        c.strip() for line in text.splitlines() if line.startswith("| ") for c in line.split(" | ")
    ]
    assert not [c for c in table_cells if c.strip("| ") in ids]
    assert "| Recall (enforced: any restricting action) | 54.3% | [49.9%, 58.7%] | 495 |" in text
    assert "`recall_any_action`" in text  # the definitions table names the id


def test_values_are_in_their_units(report_doc: dict[str, Any]) -> None:
    rows = {r["metric"]: r for r in report_doc["comparison"]["metrics"]}
    assert comparison_cells(rows["review_cost"], "USD") == (
        "25.35 USD",
        "0 USD",
        "−25.35 USD [−33.15, −18.18]",
        "significant",
    )
    assert comparison_cells(rows["recall_any_action"], "USD")[:3] == (
        "54.3%",
        "61.8%",
        "+7.5 pp [+5.5, +9.8]",
    )
    share = {"metric": "false_positive_rate_any_action", "value": 0.0126}
    assert metric_cells({**share, "ci_low": 0.0081, "ci_high": 0.0196, "n": 1505}) == (
        "1.3%",
        "[0.81%, 2.0%]",
        "1,505",
    )


def test_noise_prints_as_zero(report_doc: dict[str, Any]) -> None:
    rows = {r["metric"]: r for r in report_doc["comparison"]["metrics"]}
    noisy = rows["views_before_action_mean_violating"]
    assert comparison_cells(noisy)[:3] == ("0", "0", "0 [0, 0]")
    html, text = report_html(report_doc), report_markdown(report_doc)
    assert "e-1" not in text and "e-1" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    mean = {"metric": "views_before_action_mean", "value": -6.39e-14, "n": 288}
    assert metric_cells({**mean, "ci_low": -6.39e-14, "ci_high": 0.0}) == ("0", "[0, 0]", "288")


def test_per_month_rows_show_their_scaling_formula(report_doc: dict[str, Any]) -> None:
    month = next(r for r in report_doc["daily"] if r["metric"] == "review_cost_per_month")
    assert scaling(month) == MONTH_FORMULA
    assert scaling({**month, "formula": "review_cost ÷ 10 items"}) == "review cost ÷ 10 items"
    html = report_html(report_doc)
    row = next(t for _, a, t in cells(html) if a.get("data-metric") == "review_cost_per_month")
    assert row == f"{label('review_cost_per_month')} scaled: {MONTH_FORMULA}"
    hours = next(t for _, a, t in cells(html) if a.get("data-metric") == "reviewer_hours_per_day")
    assert "scaled: items sent to human review × 1.6 review minutes per item ÷ 60 ÷ 30" in hours
    text = report_markdown(report_doc)
    assert f"— scaled: {MONTH_FORMULA} | 38,025" in text
    assert "not the per-day figure × 30" in text


def test_report_sections_have_human_headers(report_doc: dict[str, Any]) -> None:
    ids = raw_ids(report_doc)
    for section in sections(report_doc):
        for table in section.tables:
            assert not [h for h in table.headers if h in ids], (section.key, table.headers)
            for row in table.rows:
                shown = [c for i, c in enumerate(row) if i not in table.code_columns]
                assert not [c for c in shown if c in ids], (section.key, row)


# --------------------------------------------------------------------------- case study


def test_case_study_words_scaling_and_hours(report_doc: dict[str, Any]) -> None:
    case = case_study(report_doc)
    text = case_study_markdown(case)
    paragraphs = dict(case.paragraphs)
    assert (
        f"review cost a month (= {MONTH_FORMULA}) from 38,025 USD to 0 USD"
        in (paragraphs["Cost avoided"])
    )
    reviewer = paragraphs["Reviewer time saved"]
    assert "from 0.03467 h to 0 h" in reviewer
    assert "(change −0.03467 h, 95% CI −0.04533 h to −0.02489 h)" in reviewer
    assert not MINUTES.search(text), MINUTES.search(text)
    assert f"{label('review_cost_per_month')} — scaled: {MONTH_FORMULA}" in text
    assert "Per-day figures are the window's totals ÷ 30 days" in case.method
    ids = raw_ids(report_doc)
    assert not [c for row in case.table.rows for c in row if c in ids]


def test_case_study_chart_is_before_after_with_the_change_interval(
    report_doc: dict[str, Any],
) -> None:
    case = case_study(report_doc)
    assert [r["metric"] for r in case.chart_rows] == list(CHART_METRICS)
    shown = set(case.table.row_ids)
    assert set(CHART_METRICS) <= shown  # the chart's numbers are the table's
    svg = case_study_chart(case)
    texts = svg_texts(svg)
    joined = "\n".join(texts)
    assert "Before and after, with the 95% interval of the change" in joined
    assert "not an interval of either value" in joined
    assert "paired bootstrap" in joined
    for metric in CHART_METRICS:
        assert label(metric).split()[0] in joined, metric
    titles = svg_texts(svg, "axis-title")
    assert titles == ["items a day", "per 10,000", "%", "%", "USD a day"]
    html = case_study_html(case)
    assert html.count("<svg") == 1
    assert 'data-metric="review_cost_per_month"' in html


def test_before_after_chart_draws_the_interval_from_the_before_value() -> None:
    row = {
        "metric": "sent_to_review_per_day",
        "baseline": 10.0,
        "candidate": 4.0,
        "delta": -6.0,
        "delta_ci_low": -8.0,
        "delta_ci_high": -3.0,
    }
    svg = charts.before_after_chart([row], ["sent_to_review_per_day"])
    assert svg is not None
    labels = svg_texts(svg, "axis-label")
    assert "before" in labels and "after" in labels
    only = ["sent_to_review_per_day"]
    assert charts.before_after_chart([{**row, "candidate": None}], only) is None
    assert charts.before_after_chart([], only) is None


@pytest.mark.parametrize("simulated", [0, 5])
def test_case_study_pdf_is_one_page(report_doc: dict[str, Any], simulated: int) -> None:
    """With its chart, and with the simulated statements it quotes (at most two)."""
    from deepscreen.report.html import to_pdf

    text = (
        "Simulated (scenario small, 2 replications): thresholds r-80d521b35764 vs default "
        "r-c23060f779f1 made no significant change to recall (violating items actioned): 33.3% "
        "before, 66.7% after (change +33.3 percentage points, 95% CI −178.4 percentage points "
        "to +245.1 percentage points, which includes zero)."
    )
    statement = {"text": text, "source": "simulated", "rows": []}
    report_doc["statements"] += [statement] * simulated
    case = case_study(report_doc)
    assert len(case.statements) == min(simulated, 2)
    _, pages = to_pdf(case_study_html(case))
    assert pages == 1


# --------------------------------------------------------------------------- charts


def test_report_chart_axes_have_units_and_labels(report_doc: dict[str, Any]) -> None:
    from deepscreen.report.html import chart_svg

    ids = raw_ids(report_doc)
    names = [n for s in sections(report_doc) for n in s.charts]
    drawn = [(n, chart_svg(n, report_doc)) for n in names]
    drawn = [(n, svg) for n, svg in drawn if svg is not None]
    assert len(drawn) >= 6
    for name, svg in drawn:
        for title in svg_texts(svg, "axis-title"):
            if title.startswith("Upload "):
                continue  # the period axis
            assert any(word in title for word in UNIT_WORDS), (name, title)
        assert not [t for t in svg_texts(svg) if t in ids], name


@pytest.mark.parametrize(
    ("metric", "title"),
    [
        ("recall_any_action", "Recall (enforced: any restricting action), %"),
        ("time_to_action_median_hours", "Median time to action (hours)"),
        ("violating_per_10k_uploads", "Violating items per 10,000 uploads"),
        ("review_cost", "Review cost (items sent to review × cost per item), USD"),
        ("viral_deepfakes_stopped", "Viral violating deepfakes stopped (count)"),
        ("sent_to_review", "Items sent to human review (count)"),
    ],
)
def test_axis_titles_are_labels_with_units(metric: str, title: str) -> None:
    assert charts.axis_title(metric, "USD") == title
