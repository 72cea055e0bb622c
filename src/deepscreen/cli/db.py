"""``deepscreen db upgrade | check``: migrate the configured database to this deepscreen's schema;
check (``--repair``: fix) the invariants between decisions and review tasks, exiting 1 while
violations remain so that cron or CI can alert on it (docs/reliability-crash.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.bootstrap import review_config
from deepscreen.bootstrap.database import check_database, repair_database, upgrade_database
from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, OutputFormat, command_group, settings_from
from deepscreen.service.integrity import REPAIRABLE, IntegrityReport, RepairResult

app = command_group(
    "Database administration: schema upgrades (`db upgrade`), and the integrity check of "
    "decisions against review tasks (`db check`, `db check --repair`)."
)

SchemaOpt = Annotated[
    str | None, typer.Option("--schema", help="PostgreSQL schema holding the tables.")
]


@app.command("upgrade")
def upgrade_cmd(schema: SchemaOpt = None, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Apply the pending schema migrations, in order, in one transaction.

    Safe to run again: a database already at this version is left as it is. A new database is
    created at this version. Every event is kept.
    """
    with domain_errors():
        settings = settings_from(config, db)
        try:
            result = upgrade_database(settings.db_url, schema=schema)
        except ValueError as exc:
            raise CliError(str(exc), ExitCode.USAGE) from exc
    if not result.applied:
        typer.echo(f"schema version {result.after}: up to date, nothing to do")
        return
    before = "new database" if result.before is None else f"version {result.before}"
    typer.echo(f"schema: {before} → version {result.after}")
    for migration in result.applied:
        typer.echo(f"  applied {migration.version}: {migration.summary}")


@app.command("check", epilog=EXIT_CODES_HELP)
def check_cmd(
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="Add the review task of every review decision that has none (routed as "
            "decided, idempotent); the other violations are only reported.",
        ),
    ] = False,
    examples: Annotated[
        int, typer.Option("--examples", min=0, max=1000, help="Violations listed per check.")
    ] = 5,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.TABLE,
    schema: SchemaOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Check that every review decision has its review task, that no item has two decisions
    under one policy revision, and that no task names a missing decision.

    A decision and its review task are written in one transaction, so a crash keeps both or
    neither; a database written by an older deepscreen may miss tasks, which `--repair` adds
    (safe while scans run). Duplicate decisions and tasks without a decision are reported, never
    changed: the log is append-only and a task may hold a reviewer's work (see
    docs/reliability-crash.md). Exit code 0: clean; 1: violations remain.
    """
    with domain_errors():
        settings = settings_from(config, db)
        try:
            if repair:
                config_ = review_config(settings.review)
                result: IntegrityReport | RepairResult = repair_database(
                    settings.db_url, config_, schema=schema, examples=examples
                )
            else:
                result = check_database(settings.db_url, schema=schema, examples=examples)
        except ValueError as exc:
            raise CliError(str(exc), ExitCode.USAGE) from exc
    report = result.after if isinstance(result, RepairResult) else result
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(_json(result), indent=2))
    else:
        _print(result)
    if not report.clean:
        raise typer.Exit(ExitCode.FAILURES)


def _json(result: IntegrityReport | RepairResult) -> dict[str, Any]:
    report = result.after if isinstance(result, RepairResult) else result
    out: dict[str, Any] = {"database": report.database, "clean": report.clean}
    if isinstance(result, RepairResult):
        out["tasks_added"] = result.tasks_added
        out["before"] = _findings(result.before)
    out["checks"] = _findings(report)
    return out


def _findings(report: IntegrityReport) -> list[dict[str, Any]]:
    return [
        {
            "check": f.check.value,
            "violations": f.violations,
            "description": f.description,
            "repair": f.repair,
            "examples": list(f.examples),
        }
        for f in report.findings
    ]


def _print(result: IntegrityReport | RepairResult) -> None:
    """A table of counts, then the listed violations and a verdict, one plain line each."""
    repaired = isinstance(result, RepairResult)
    report = result.after if isinstance(result, RepairResult) else result
    typer.echo(f"database {report.database}")
    counted = ("found", "repaired", "remaining") if repaired else ("violations",)
    table = Table("check", *counted, "on --repair")
    for finding in report.findings:
        counts = [str(finding.violations)]
        if isinstance(result, RepairResult):
            found = result.before.count(finding.check)
            fixed = found - finding.violations if finding.check in REPAIRABLE else 0
            counts = [str(found), str(max(fixed, 0)), *counts]
        table.add_row(finding.check.value, *counts, escape(finding.repair))
    Console(width=160, highlight=False).print(table)
    for finding in report.findings:
        if finding.examples:
            typer.echo(f"{finding.check.value}: {finding.description}")
            for line in finding.examples:
                typer.echo(f"  {line}")
            if finding.violations > len(finding.examples):
                typer.echo(f"  … and {finding.violations - len(finding.examples)} more")
    if isinstance(result, RepairResult):
        typer.echo(f"repair: added {result.tasks_added} review task(s)")
    if report.clean:
        typer.echo("clean: no violations")
        return
    line = f"{report.violations} violation(s) remain"
    fixable = sum(report.count(c) for c in REPAIRABLE)
    if fixable and not repaired:
        line += f"; `deepscreen db check --repair` adds the {fixable} missing review task(s)"
    typer.echo(line)
