"""One number, every surface: each metric shared by two surfaces is identical on one database.

On the session's demo database (tests/e2e/conftest.py ``demo_dir``), the whole-store rows of the
impact metric table (``deepscreen impact --period all``) are the reference; the demo summary,
the report (its metric rows and the baseline of its comparison), ``impact compare``, the API's
``GET /v1/metrics``, the statements, the case study and the DSA transparency quarter figures
must print the same value (and, for Wilson-interval metrics, the same interval and n).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deepscreen.api.testing import api_harness
from deepscreen.bootstrap import build
from deepscreen.cli.app import app
from deepscreen.core import metrics as definitions
from deepscreen.core.access import Role
from deepscreen.core.metric_types import WILSON as WILSON_INTERVAL
from deepscreen.impact.dsa_estimates import ReportPeriod, quarter_figures
from deepscreen.report.formatting import comparison_cells
from deepscreen.service.impact import store_items
from deepscreen.service.report_output import demo_candidate_dir
from deepscreen.settings import load_settings

ALL = ("all", "all", "all")
SHARED_WITH_COMPARE = (
    "sent_to_review",
    "actioned_total",
    "precision_any_action",
    "recall_any_action",
    "false_positive_rate_any_action",
)
WILSON = {m.name for m in definitions.table_metrics() if m.interval == WILSON_INTERVAL}


def _whole_store(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        r["metric"]: r for r in rows if (r["period"], r["policy_revision"], r["segment"]) == ALL
    }


@pytest.fixture(scope="module")
def db_url(demo_dir: Path) -> str:
    return f"sqlite:///{demo_dir / 'deepscreen-demo.db'}"


@pytest.fixture(scope="module")
def table(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("one-number") / "impact.json"
    args = ["impact", "--db", db_url, "--period", "all", "--n-boot", "1000"]
    result = CliRunner().invoke(app, [*args, "--format", "json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _whole_store(json.loads(out.read_text()))
    assert {"precision_flagged", "precision_any_action", "sent_to_review"} <= set(rows)
    return rows


def _same(reference: dict[str, Any], other: dict[str, Any], name: str, where: str) -> None:
    if reference["value"] is None:
        assert other["value"] is None, (name, where)
        return
    assert other["value"] == pytest.approx(reference["value"], rel=1e-12, abs=0), (name, where)
    if "n" in other:
        assert other["n"] == reference["n"], (name, where)
    if name in WILSON and "ci_low" in other:
        assert other["ci_low"] == pytest.approx(reference["ci_low"], rel=1e-12), (name, where)
        assert other["ci_high"] == pytest.approx(reference["ci_high"], rel=1e-12), (name, where)


def test_demo_summary_prints_the_tables_numbers(demo_dir: Path, table) -> None:
    summary = json.loads((demo_dir / "summary.json").read_text())
    assert summary["metrics"], "the summary shows metric-table rows"
    for name, row in summary["metrics"].items():
        if row["value"] is None:
            assert table.get(name, {}).get("value") is None, name
            continue
        _same(table[name], row, name, "demo summary")
        assert row["label"] == definitions.label(name)
    fpr = summary["metrics"]["false_positive_rate_flagged"]["value"]
    cost = summary["fp_review_cost_per_month"]
    per_item, volume = summary["costs"]["review_cost_per_item"], summary["costs"]["monthly_volume"]
    assert cost["value"] == pytest.approx(fpr * per_item * volume)


def test_report_rows_and_comparison_baseline_match_the_table(demo_dir: Path, table) -> None:
    doc = json.loads((demo_dir / "report.json").read_text())
    rows = _whole_store(doc["metrics"])
    shared = set(rows) & set(table)
    assert len(shared) >= 20
    for name in shared:
        _same(table[name], rows[name], name, "report")
    baseline = {r["metric"]: r for r in doc["comparison"]["metrics"]}
    for name in SHARED_WITH_COMPARE:
        if table[name]["value"] is None:
            continue
        assert baseline[name]["baseline"] == pytest.approx(table[name]["value"]), name
    figure = doc["costs"]["figures"]["figures"]["fp_review_cost"]
    assert figure["formula"].startswith("false_positive_rate_flagged")
    rate = table["false_positive_rate_flagged"]["value"]
    model = doc["costs"]["model"]
    expected = rate * model["review_cost_per_item_effective"] * model["monthly_volume"]
    assert figure["value"] == pytest.approx(expected)


def test_statements_quote_table_rows(demo_dir: Path, table) -> None:
    doc = json.loads((demo_dir / "report.json").read_text())
    measured = [s for s in doc["statements"] if s["source"] == "measured"]
    assert measured
    for statement in measured:
        for row in statement["rows"]:
            if (row["period"], row["policy_revision"], row["segment"]) == ALL:
                _same(table[row["metric"]], row, row["metric"], "statement")


def test_case_study_states_the_comparison_rows(demo_dir: Path) -> None:
    doc = json.loads((demo_dir / "report.json").read_text())
    text = (demo_dir / "case-study.md").read_text()
    by_metric = {r["metric"]: r for r in [*doc["comparison"]["metrics"], *doc["daily"]]}
    for name in ("recall_any_action", "false_positive_rate_any_action"):
        before, after, _, _ = comparison_cells(by_metric[name])
        assert before in text and after in text, name


def test_impact_compare_baseline_is_the_table(db_url: str, table, tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    args = ["impact", "compare", str(demo_candidate_dir()), "--db", db_url, "--n-boot", "200"]
    result = CliRunner().invoke(app, [*args, "--json", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["metric"]: r for r in json.loads(out.read_text())["metrics"]}
    for name in SHARED_WITH_COMPARE:
        if table[name]["value"] is not None:
            assert rows[name]["baseline"] == pytest.approx(table[name]["value"]), name
        assert rows[name]["definition"] == definitions.definition(name)


def test_api_metrics_route_is_the_table(demo_dir: Path, table, tmp_path: Path) -> None:
    copy = tmp_path / "api.db"  # the API adds its key tables: never to the shared demo database
    with (
        sqlite3.connect(demo_dir / "deepscreen-demo.db") as source,
        sqlite3.connect(copy) as target,
    ):
        source.backup(target)  # WAL included
    settings = load_settings(None, db_url=f"sqlite:///{copy}")
    harness = api_harness(settings=settings)
    try:
        response = harness.client.get(
            "/v1/metrics",
            params={"period": "all", "n_boot": 1000},
            headers=harness.auth(Role.ANALYST),
        )
        assert response.status_code == 200, response.text
        rows = _whole_store(response.json()["rows"])
    finally:
        harness.close()
    for name, reference in table.items():
        _same(reference, rows[name], name, "API")


def test_dsa_quarter_figures_are_the_table(db_url: str, table) -> None:
    services = build(load_settings(None, db_url=db_url))
    try:
        items = store_items(services)
    finally:
        services.store.close()
    first = min(items.column("ingested_at").to_pylist()).date()
    last = max(items.column("ingested_at").to_pylist()).date()
    figures = quarter_figures("all", ReportPeriod(first, last), items, {})
    assert figures.uploads == table["uploads"]["value"]
    assert figures.actioned == table["actioned_total"]["value"]
    assert figures.prevalence.value == pytest.approx(table["violating_per_10k_uploads"]["value"])
