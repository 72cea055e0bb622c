"""``deepscreen impact``: the metric table from the event log, imports, compare and optimize."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.bootstrap import build
from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.impact_compare import compare
from deepscreen.cli.impact_optimize import optimize
from deepscreen.cli.options import (
    ConfigOpt,
    DbOpt,
    Period,
    command_group,
    services_from,
    settings_from,
)
from deepscreen.core import metrics as definitions
from deepscreen.core.numbers import format_value
from deepscreen.service.impact import impact_report, to_csv, to_json, to_parquet, to_records
from deepscreen.service.impact_import import ImportKind, import_file

app = command_group(
    "Impact of the policy, computed from the event log: prevalence, actions, speed, "
    "exposure, quality and cost — every estimate with its 95% interval and sample size.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=False,
)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    PARQUET = "parquet"


@app.callback(invoke_without_command=True)
def impact(
    ctx: typer.Context,
    period: Annotated[
        Period, typer.Option(help="Group by upload day, ISO week, month, or all.")
    ] = (Period.MONTH),
    segments: Annotated[
        bool, typer.Option("--segments/--no-segments", help="Rows per segment too.")
    ] = True,
    policies: Annotated[
        bool, typer.Option("--policies/--no-policies", help="Rows per policy revision too.")
    ] = True,
    output_format: Annotated[Format, typer.Option("--format", help="Output format.")] = (
        Format.TABLE
    ),
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write json/csv/parquet here.", dir_okay=False),
    ] = None,
    bootstrap: Annotated[
        bool,
        typer.Option("--bootstrap/--no-bootstrap", help="Bootstrap CIs for means and medians."),
    ] = True,
    n_boot: Annotated[int, typer.Option("--n-boot", min=100, help="Bootstrap replicates.")] = 2000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    segment_attribute: Annotated[
        str, typer.Option(help="Item attribute that names the segment.")
    ] = "category",
    score_signal: Annotated[
        str, typer.Option(help="Signal whose score ranks items (else the highest score).")
    ] = "ensemble",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """The metric table: one row per (period, policy revision, segment, metric) with value,
    95% interval, sample size and definition (docs/metrics.md). Proportions carry Wilson intervals
    (a rule-of-three upper bound when nothing was observed), means and medians a bootstrap over
    items. Quality metrics use labelled items only (reviews and imported labels).
    """
    if ctx.invoked_subcommand is not None:
        return
    with domain_errors():
        if output_format in (Format.CSV, Format.PARQUET) and out is None:
            raise CliError(f"--format {output_format.value} needs --out PATH", ExitCode.USAGE)
        settings = settings_from(config, db)
        report = impact_report(
            build(settings),
            settings.costs.model_dump(),
            period=period.value,
            by_segment=segments,
            by_policy=policies,
            n_boot=n_boot,
            seed=seed,
            bootstrap=bootstrap,
            segment_attribute=segment_attribute,
            score_signal=score_signal,
            review_sla_hours=settings.review.default_sla_hours,
        )
        table = report.table
        if output_format is Format.TABLE:
            _print(table, report.items.num_rows, settings.costs.currency)
            for line in report.costs.format_lines():
                typer.echo(line)
            if out is not None:
                to_json(table, out)
        elif output_format is Format.JSON:
            if out is None:
                typer.echo(json.dumps(to_records(table), indent=1, allow_nan=False))
            else:
                to_json(table, out)
        elif output_format is Format.CSV:
            assert out is not None
            to_csv(table, out)
        else:
            assert out is not None
            to_parquet(table, out)
        if out is not None:
            Console(stderr=True).print(f"wrote {table.num_rows} rows to {escape(str(out))}")


def _print(table: object, items: int, currency: str) -> None:
    import pyarrow as pa

    assert isinstance(table, pa.Table)
    console = Console()
    rows = [r for r in table.to_pylist() if r["policy_revision"] == "all" and r["segment"] == "all"]
    view = Table(
        title=f"impact of {items:,} items (all policies, all segments; --format json for every "
        "row, with the metric ids of docs/metrics.md)"
    )
    for column in ("period", "metric", "value", "95% interval", "n"):
        view.add_column(column, justify="left" if column in ("period", "metric") else "right")
    for row in rows:
        name = row["metric"]
        unit = definitions.unit(name)
        low, high = row["ci_low"], row["ci_high"]
        interval = (
            ""
            if low is None or high is None
            else f"[{format_value(low, unit, currency=currency)}, "
            f"{format_value(high, unit, currency=currency)}]"
        )
        view.add_row(
            row["period"],
            definitions.label(name),
            format_value(row["value"], unit, currency=currency, missing="n/a"),
            interval,
            f"{row['n']:,}",
        )
    console.print(view)


app.command("compare", epilog=EXIT_CODES_HELP)(compare)
app.command("optimize", epilog=EXIT_CODES_HELP)(optimize)


@app.command("import", epilog=EXIT_CODES_HELP)
def import_cmd(
    kind: Annotated[ImportKind, typer.Argument(help="What the file holds.")],
    path: Annotated[
        Path, typer.Argument(help="A .csv or .parquet file.", exists=True, dir_okay=False)
    ],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Import views, labels, appeals or notices as events (whole file or nothing, and once:
    the same content imported again is reported and not applied).

    Columns — views: item_id, occurred_at, views (new views in the window ending then);
    labels: item_id, violating (true/false) [, occurred_at, label, reviewer] (ground truth,
    recorded as reviews by `label-import:FILE`); appeals: item_id, received_at, decided_at,
    outcome (upheld, partially_reversed, reversed, omitted) [, decision_id]; notices: item_id,
    occurred_at [, notifier: user, trusted_flagger, authority]. Times are ISO 8601 with a zone,
    in 1970–2099; views are 0..10^12 a row and at most 10^15 an item; text cells at most 256
    characters. A refused file exits 1 naming its problem (bad rows by line), nothing written.
    """
    with domain_errors():
        services = services_from(config, db, None)
        result = import_file(services, kind, path)
    if result.already is not None:
        earlier = result.already
        typer.echo(
            f"{path}: already imported on {earlier.imported_at:%Y-%m-%d %H:%M:%S} UTC "
            f"(from {earlier.source}, {earlier.events} event(s)), nothing applied"
        )
        return
    typer.echo(f"imported {result.events} {kind.value} event(s) from {path}")
