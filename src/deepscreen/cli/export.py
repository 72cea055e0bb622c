"""``deepscreen export``: regulatory exports from the event log (EU DSA statements of reasons)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import httpx
import typer

from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.impact_compare import parse_when
from deepscreen.cli.options import ConfigOpt, DbOpt, open_services, settings_from
from deepscreen.service.export_dsa import build_statements, restrictions, write_batches
from deepscreen.service.submit_dsa import submit_batch

app = typer.Typer(
    help="Regulatory exports computed from the event log.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


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
        with domain_errors(), httpx.Client(timeout=30.0) as client:
            done = [
                submit_batch(
                    client,
                    json.loads(batch.path.read_text("utf-8"))["statements"],
                    base_url=dsa.api_url,
                    token=dsa.api_token.get_secret_value(),
                )
                for batch in result.batches
                if batch.path is not None
            ]
        typer.echo(
            f"submitted {sum(len(d.submitted) for d in done)}, "
            f"already present {sum(len(d.already_present) for d in done)}"
        )
