"""``deepscreen media purge | status | delete | keygen``: the media retained for reviewers
(``[media_store]``, docs/review-media.md)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from deepscreen.bootstrap import new_media_key
from deepscreen.cli.errors import EXIT_CODES_HELP, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, command_group, open_services
from deepscreen.service.media import ERASED
from deepscreen.service.media_purge import delete_media, media_status, purge_media

app = command_group(
    "Media retained for reviewers: purge what retention no longer allows, show the "
    "store's status, delete one item's copy, make an encryption key.",
    epilog=EXIT_CODES_HELP,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


@app.command("purge", epilog=EXIT_CODES_HELP)
def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
    as_json: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Delete copies whose retention has ended (unless a task of the item is still open) and
    copies of items restored after an appeal; forget old deletion notes. Idempotent: run it
    daily (cron, a systemd timer)."""
    with domain_errors(), open_services(config, db) as services:
        report = purge_media(services, now=services.clock(), dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"examined {report.kept} retained cop{'y' if report.kept == 1 else 'ies'}")
    typer.echo(f"  {verb} {report.deleted_expired} whose retention ended")
    typer.echo(f"  {verb} {report.deleted_restored} of items restored after an appeal")
    typer.echo(f"  kept {report.held_for_open_tasks} past retention for a task still open")
    freed = "would free" if dry_run else "freed"
    typer.echo(f"  {freed} {report.freed_bytes:,} bytes; forgot {report.notes_forgotten} old notes")


@app.command("status", epilog=EXIT_CODES_HELP)
def status(as_json: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Where media is kept, whether it is encrypted, how much, what awaits a purge, and how
    many open tasks have no copy to show (scanned before retention, or keeping it failed)."""
    with domain_errors(), open_services(config, db) as services:
        result = media_status(services, now=services.clock())
    if as_json:
        typer.echo(json.dumps(asdict(result), indent=2))
        return
    typer.echo(f"store: {result.location} (encrypted at rest: {_yes(result.encrypted)})")
    typer.echo(f"retention: {result.retention_days:g} days after the decision")
    if result.url_template:
        typer.echo(f"platform copies: {result.url_template} (fetched on view, never stored)")
    typer.echo(f"copies kept: {result.copies} ({result.bytes:,} bytes)")
    typer.echo(
        f"past retention: {result.expired} (the next `deepscreen media purge` deletes them, "
        "but keeps those a task still open needs)"
    )
    for reason, count in sorted(result.deleted_by_reason.items()):
        typer.echo(f"deleted ({reason}): {count}")
    typer.echo(
        f"open review and appeal tasks: {result.open_tasks}, "
        f"{result.open_tasks_without_copy} without a copy"
    )


@app.command("delete", epilog=EXIT_CODES_HELP)
def delete(
    item_id: Annotated[str, typer.Argument(help="The item whose copy to delete.")],
    reason: Annotated[str, typer.Option(help="Why, kept in the deletion note.")] = ERASED,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Delete one item's retained copy now (an erasure request). The item's recorded events
    are not changed."""
    with domain_errors(), open_services(config, db) as services:
        deleted = delete_media(services, item_id, now=services.clock(), reason=reason)
    typer.echo(f"deleted the copy of {item_id}" if deleted else f"no copy of {item_id} is kept")


@app.command("keygen")
def keygen() -> None:
    """Print a new Fernet key for `[media_store] encryption_key` (set it through
    DEEPSCREEN_MEDIA_STORE__ENCRYPTION_KEY; put a new key first to rotate)."""
    typer.echo(new_media_key())


def _yes(value: bool) -> str:
    return "yes (Fernet)" if value else "no"
