"""``deepscreen db upgrade``: migrate the configured database to this deepscreen's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, settings_from
from deepscreen.service.db import upgrade_database

app = typer.Typer(
    help="Database administration.", no_args_is_help=True, rich_markup_mode="markdown"
)


@app.command("upgrade")
def upgrade_cmd(
    schema: Annotated[
        str | None, typer.Option("--schema", help="PostgreSQL schema holding the tables.")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
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
