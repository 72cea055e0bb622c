"""``deepscreen export``: regulatory exports from the event log (EU DSA statements of reasons)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from deepscreen.bootstrap.dsa import submit_batches
from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.impact_compare import parse_when
from deepscreen.cli.options import ConfigOpt, DbOpt, command_group, open_services, settings_from
from deepscreen.service.export_dsa import build_statements, restrictions, write_batches
from deepscreen.service.export_dsa_transparency import export_transparency
from deepscreen.service.transparency import Publication, ReportPeriod

app = command_group("Regulatory exports computed from the event log.", epilog=EXIT_CODES_HELP)


@app.command("dsa-sor", epilog=EXIT_CODES_HELP)
def dsa_sor(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for sor-00001.json, ...", file_okay=False),
    ],
    since: Annotated[
        str | None,
        typer.Option("--since", help="Restrictions applied at or after this ISO date/time (UTC)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="Restrictions applied before this ISO date/time; a bare date includes that day.",
        ),
    ] = None,
    allow_invalid: Annotated[
        bool,
        typer.Option("--allow-invalid", help="Write batches even if the local validator objects."),
    ] = False,
    submit: Annotated[
        bool,
        typer.Option(
            "--submit",
            help="Also POST the written batches to [dsa] api_url with the bearer token "
            "DEEPSCREEN_DSA__API_TOKEN; puids already stored count as done.",
        ),
    ] = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Write EU DSA statements of reasons (Art. 17, 24(5)) for every restricting decision.

    One statement per restricted item: automated label, downrank, age gate or removal, or an
    action a human reviewer applied after the policy routed the item to review. Files hold
    `{"statements": [...]}` with at most 100 statements, the body of the Transparency
    Database's `POST /api/v1/statements`. Each batch is checked against the database's rules
    first; a batch with violations is not written (unless `--allow-invalid`) and every
    violation is listed. Platform values (ground, category, territorial scope, source) come from
    the `[dsa]` settings. No reviewer or uploader identity is exported.
    """
    start = parse_when(since, "--since", end=False)
    end = parse_when(until, "--until", end=True)
    with domain_errors():
        dsa = settings_from(config, db).dsa
        sor_config = dsa.sor_config()
        if submit and (dsa.api_url is None or dsa.api_token is None):
            raise CliError(
                "--submit needs [dsa] api_url and the token in DEEPSCREEN_DSA__API_TOKEN",
                ExitCode.INVALID_CONFIG,
            )
        with open_services(config, db) as services:
            found = restrictions(services.store, since=start, until=end)
        statements = build_statements(found, sor_config)
        n_batches = -(-len(statements) // 100)
        with typer.progressbar(length=n_batches, label="writing batches", file=sys.stderr) as bar:
            result = write_batches(
                statements, out, allow_invalid=allow_invalid, on_batch=bar.update
            )
    for violation in result.violations:
        typer.echo(f"invalid {violation.puid or '-'}: {violation.field}: {violation.message}")
    refused = len(result.batches) - result.written
    typer.echo(
        f"{result.records} records, {result.written} batches written to {out}"
        + (f", {refused} refused" if refused else "")
        + f", {result.invalid_records} invalid"
    )
    if result.violations and not allow_invalid:
        raise typer.Exit(int(ExitCode.FAILURES))
    if submit:
        assert dsa.api_url is not None and dsa.api_token is not None
        with domain_errors():
            done = submit_batches(
                (
                    json.loads(batch.path.read_text("utf-8"))["statements"]
                    for batch in result.batches
                    if batch.path is not None
                ),
                base_url=dsa.api_url,
                token=dsa.api_token.get_secret_value(),
            )
        typer.echo(
            f"submitted {sum(len(d.submitted) for d in done)}, "
            f"already present {sum(len(d.already_present) for d in done)}"
        )


def _parse_day(text: str | None, option: str) -> date | None:
    """An ISO date (``YYYY-MM-DD``): transparency reports cover whole days."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date (YYYY-MM-DD)", param_hint=option
        ) from exc


@app.command("dsa-transparency", epilog=EXIT_CODES_HELP)
def dsa_transparency(
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Directory for the CSV files.", file_okay=False),
    ],
    since: Annotated[
        str, typer.Option("--since", help="First day of the reporting period (YYYY-MM-DD, UTC).")
    ],
    until: Annotated[
        str,
        typer.Option("--until", help="Last day of the reporting period, included (YYYY-MM-DD)."),
    ],
    service: Annotated[
        str | None,
        typer.Option("--service", help="Name of the service; default: [dsa] service_name."),
    ] = None,
    provider: Annotated[
        str | None,
        typer.Option(
            "--provider",
            help="Name of the service provider; default: [dsa] provider_name, else the service.",
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option("--published", help="Publication date of the report; default: today (UTC)."),
    ] = None,
    previous: Annotated[
        str | None,
        typer.Option("--previous", help="Publication date of the previous report, if any."),
    ] = None,
    bootstrap: Annotated[
        bool,
        typer.Option(
            "--bootstrap/--no-bootstrap",
            help="Bootstrap intervals of weighted quality estimates (slower on large logs).",
        ),
    ] = True,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Write the EU DSA transparency report CSVs (Art. 15, 24; Implementing Regulation
    (EU) 2024/2835) for one reporting period, plus a CSER-style quarterly table.

    Files: `Part_1_summary.csv`, `Part_5_own_initiative_illegal.csv`,
    `Part_6_own_initiative_TC.csv`, `Part_7_appeals_and_recidivism.csv`,
    `Part_8_automated_means.csv` (headers verbatim from the Commission's templates) and
    `CSER_quarterly.csv`. Measures are the statements of reasons of the restrictions applied
    in the period (as `export dsa-sor`); complaints are the appeals received in it; accuracy,
    precision and recall are per policy revision over the items ingested in it. Counts are
    integers, rates floats in [0, 1], median times hours; a cell that applies but had no
    events is 0, one that can never apply on this service is blank.
    """
    start = _parse_day(since, "--since")
    end = _parse_day(until, "--until")
    assert start is not None and end is not None
    published_on = _parse_day(published, "--published") or datetime.now(UTC).date()
    previous_on = _parse_day(previous, "--previous")
    with domain_errors():
        if end < start:
            raise CliError(f"--until {end} is before --since {start}", ExitCode.USAGE)
        dsa = settings_from(config, db).dsa
        name = service or dsa.service_name
        if not name:
            raise CliError("name the service: --service NAME or [dsa] service_name", ExitCode.USAGE)
        period = ReportPeriod(start, end)
        publication = Publication(provider or dsa.provider_name or name, published_on, previous_on)
        with open_services(config, db) as services:
            result = export_transparency(
                services,
                out,
                period,
                service=name,
                publication=publication,
                sor_config=dsa.sor_config(),
                bootstrap=bootstrap,
            )
    inputs = result.inputs
    received = sum(period.contains(c.received_at) for c in inputs.complaints)
    typer.echo(
        f"DSA transparency report for {name}, {period.label}: "
        f"{_many(len(inputs.statements), 'statement')} of reasons, "
        f"{_many(received, 'complaint')} received, {_many(len(inputs.quality), 'classifier')}, "
        f"{_many(len(inputs.quarters), 'quarter')}"
    )
    for written in result.files:
        typer.echo(f"  {written.path}  ({_many(written.rows, 'row')})")


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
