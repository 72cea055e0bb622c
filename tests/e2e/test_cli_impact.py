"""``deepscreen impact`` on the demo database: the long table, formats, costs and imports."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from deepscreen.cli.app import app
from deepscreen.core import metrics as definitions

COLUMNS = [
    "period",
    "policy_revision",
    "segment",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "n",
    "definition",
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--items", "120"])
    assert result.exit_code == 0, result.output
    return f"sqlite:///{out / 'deepscreen-demo.db'}"


def test_table_on_the_demo_database(runner, demo_db: str) -> None:
    args = ["impact", "--db", demo_db, "--period", "all", "--n-boot", "200"]
    result = runner.invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for metric in (
        "uploads",
        "violating_per_10k_uploads",
        "precision_any_action",
        "views_before_action_mean",
        "time_to_action_median_hours",
    ):
        assert definitions.label(metric) in result.stdout  # what people read
    assert "costs (USD)" in result.stdout and "not computed" in result.stdout  # no costs set


def test_json_rows_carry_intervals_sample_sizes_and_definitions(runner, demo_db: str) -> None:
    result = runner.invoke(app, ["impact", "--db", demo_db, "--format", "json", "--n-boot", "200"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and list(rows[0]) == COLUMNS
    uploads = [
        r
        for r in rows
        if r["metric"] == "uploads" and r["segment"] == "all" and r["policy_revision"] == "all"
    ]
    assert sum(r["value"] for r in uploads) == 120  # monthly rows add up to the demo's uploads
    segments = {r["segment"] for r in rows}
    assert "all" in segments and len(segments) > 2
    precision = next(r for r in rows if r["metric"] == "precision_any_action")
    assert precision["ci_low"] <= precision["value"] <= precision["ci_high"]
    assert precision["n"] > 0 and "labelled" in precision["definition"]


def test_csv_and_parquet_outputs_and_costs_from_settings(runner, demo_db: str, tmp_path) -> None:
    config = tmp_path / "deepscreen.toml"
    config.write_text(
        "[costs]\nreview_cost_per_item = 0.65\nmonthly_volume = 3000000\n"
        "wrongful_action_cost = {label = 0.5, default = 1.0}\n"
        "harm_per_violating_view = {default = 0.002}\n"
    )
    args = ["impact", "--db", demo_db, "--config", str(config), "--no-bootstrap"]
    result = runner.invoke(app, [*args, "--format", "csv", "--out", str(tmp_path / "t.csv")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "t.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    costs = {r["metric"]: r for r in rows if r["metric"].startswith("cost_")}
    assert {"cost_fp_review_cost", "cost_wrongful_actions", "cost_net_value"} <= set(costs)
    assert "review_cost_per_item" in costs["cost_fp_review_cost"]["definition"]
    result = runner.invoke(app, [*args, "--format", "parquet", "--out", str(tmp_path / "t.pq")])
    assert result.exit_code == 0, result.output
    assert pq.read_table(tmp_path / "t.pq").column_names == COLUMNS
    bad = runner.invoke(app, [*args, "--format", "csv"])
    assert bad.exit_code == 2 and "needs --out" in bad.output


def test_import_views_adds_events_or_refuses_the_whole_file(runner, demo_db: str, tmp_path) -> None:
    from deepscreen.store.events.sql import SqlEventStore

    store = SqlEventStore(demo_db)
    item_id = next(iter(store.read(kinds=["item_ingested"]))).item_id
    before = sum(1 for _ in store.read(kinds=["views_observed"]))
    path = tmp_path / "views.csv"
    path.write_text(
        f"item_id,occurred_at,views\n{item_id},2026-12-01T00:00Z,5\nsha256:unknown,2026-12-01T00:00Z,5\n"
    )
    refused = runner.invoke(app, ["impact", "import", "views", str(path), "--db", demo_db])
    assert refused.exit_code == 1 and "line 3: unknown item id" in refused.output
    assert sum(1 for _ in store.read(kinds=["views_observed"])) == before
    path.write_text(f"item_id,occurred_at,views\n{item_id},2026-12-01T00:00Z,5\n")
    result = runner.invoke(app, ["impact", "import", "views", str(path), "--db", demo_db])
    assert result.exit_code == 0 and "imported 1 views event(s)" in result.stdout
    assert sum(1 for _ in store.read(kinds=["views_observed"])) == before + 1
    store.close()


def test_import_is_idempotent_bounded_and_refuses_malformed_files_typed(
    runner, demo_db: str, tmp_path
) -> None:
    """Issue 17: a second import doubled the views; 5e18 views broke `impact` for good; a
    duplicated column or a Parquet list column ended in a traceback."""
    import pyarrow as pa

    from deepscreen.store.events.sql import SqlEventStore

    with SqlEventStore(demo_db) as store:
        item_id = next(iter(store.read(kinds=["item_ingested"]))).item_id
        before = sum(1 for _ in store.read(kinds=["views_observed"]))

    def run(*args: str):
        return runner.invoke(app, ["impact", "import", *args, "--db", demo_db])

    path = tmp_path / "weekly.csv"
    path.write_text(f"item_id,occurred_at,views\n{item_id},2026-12-08T00:00Z,7\n")
    assert run("views", str(path)).exit_code == 0
    again = run("views", str(path))
    assert again.exit_code == 0, again.output
    assert "already imported on" in again.stdout and "nothing applied" in again.stdout

    huge = tmp_path / "huge.csv"
    huge.write_text(
        f"item_id,occurred_at,views\n{item_id},2026-12-09T00:00Z,5000000000000000000\n"
        f"{item_id},2026-12-10T00:00Z,5000000000000000000\n"
    )
    refused = run("views", str(huge))
    assert refused.exit_code == 1 and "line 2: views 5,000,000,000,000,000,000" in refused.output
    duplicated = tmp_path / "dup.csv"
    duplicated.write_text(f"item_id,occurred_at,views,views\n{item_id},2026-12-09T00:00Z,1,2\n")
    listed = tmp_path / "list.parquet"
    pq.write_table(
        pa.table({"item_id": [item_id], "occurred_at": ["2026-12-09T00:00Z"], "views": [[1]]}),
        listed,
    )
    for bad, message in [
        (duplicated, "column(s) 'views' appear more than once"),
        (listed, "column 'views' holds list<element: int64> values"),
    ]:
        result = run("views", str(bad))
        assert result.exit_code == 1 and message in result.output, result.output
        assert isinstance(result.exception, SystemExit)  # a message, no traceback
    with SqlEventStore(demo_db) as store:
        assert sum(1 for _ in store.read(kinds=["views_observed"])) == before + 1
    table = runner.invoke(app, ["impact", "--db", demo_db, "--period", "all", "--n-boot", "100"])
    assert table.exit_code == 0, table.output


def test_compare_and_optimize_are_impact_subcommands(runner) -> None:
    for command in ("compare", "optimize", "import"):
        result = runner.invoke(app, ["impact", command, "--help"])
        assert result.exit_code == 0, result.output
