"""``deepscreen keys``: create (the secret is printed once), list and revoke API keys."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from deepscreen.cli.errors import EXIT_CODES_HELP, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, OutputFormat, command_group, open_hosted
from deepscreen.core.access import ApiKey, Role
from deepscreen.core.clock import system_clock
from deepscreen.service.keys import create_key, revoke_key

app = command_group(
    "API keys of the HTTP service: roles ingest, reviewer, analyst, admin.", epilog=EXIT_CODES_HELP
)
ACTOR = "cli"


@app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Create a key and print it once: only its argon2 hash is stored, so it cannot be shown
    again (revoke it and create another if it is lost)."""
    with domain_errors(), open_hosted(config, db) as stores:
        created = create_key(
            stores.keys, stores.audit, role=role, name=name, actor=ACTOR, clock=system_clock
        )
    key = created.key
    typer.echo(created.token)
    err = Console(stderr=True, highlight=False)
    err.print(f"created key {key.key_id} (role {key.role.value}, {key.name!r}).", markup=False)
    err.print("This is the only time the key is shown: store it now.", markup=False)


@app.command("list")
def list_cmd(
    output_format: Annotated[OutputFormat, typer.Option("--format", help="Output format.")] = (
        OutputFormat.TABLE
    ),
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """List keys (never their secrets)."""
    with domain_errors(), open_hosted(config, db) as stores:
        keys = stores.keys.list()
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps([_record(k) for k in keys], indent=1))
        return
    table = Table()
    for column in ("key id", "role", "name", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        created = f"{k.created_at:%Y-%m-%d %H:%M}Z"
        revoked = "" if k.revoked_at is None else f"{k.revoked_at:%Y-%m-%d %H:%M}Z"
        table.add_row(k.key_id, k.role.value, k.name, created, revoked)
    Console().print(table)


@app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the part after `ds_`).")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Revoke a key. Running servers stop accepting it within `[api] auth_cache_ttl_s`."""
    with domain_errors(), open_hosted(config, db) as stores:
        key = revoke_key(stores.keys, stores.audit, key_id, actor=ACTOR, clock=system_clock)
    assert key.revoked_at is not None
    typer.echo(f"revoked key {key.key_id} ({key.name!r}) at {key.revoked_at.isoformat()}")


def _record(key: ApiKey) -> dict[str, str | None]:
    return {
        "key_id": key.key_id,
        "role": key.role.value,
        "name": key.name,
        "created_at": key.created_at.isoformat(),
        "revoked_at": None if key.revoked_at is None else key.revoked_at.isoformat(),
    }
