"""``deepscreen appeal open | resolve``: appeals from the command line, thin shells over
``service.appeals``. An appeal task is claimed like any other: `review claim --queue appeals`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, open_services
from deepscreen.core.events import AppealOutcome
from deepscreen.service.appeals import open_appeal, resolve_appeal

app = typer.Typer(
    help="Open and resolve appeals against enforcement.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
)


@app.command("open")
def open_cmd(
    item_id: Annotated[str, typer.Argument(help="The appealed item's id, e.g. sha256:…")],
    statement: Annotated[
        str, typer.Option("--statement", help="What the uploader says (at most 5,000 chars).")
    ] = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Queue an appeal against the item's enforcing decision (one per decision); the reviewer
    who last reviewed the item may not judge it."""
    with domain_errors(), open_services(config, db) as services:
        task = open_appeal(services, item_id, statement, now=services.clock())
    record = {
        "task_id": task.task_id,
        "item_id": task.item_id,
        "queue": task.queue,
        "status": task.status.value,
        "decision_id": task.decision_id,
        "received_at": task.created_at.isoformat(),
        "due_at": task.due_at.isoformat() if task.due_at else None,
    }
    typer.echo(json.dumps(record, indent=2))


@app.command("resolve")
def resolve_cmd(
    task_id: Annotated[str, typer.Argument(help="The appeal task you claimed.")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="Who resolves it.")],
    outcome: Annotated[AppealOutcome, typer.Option("--outcome", help="The DSA outcome.")],
    reason: Annotated[str, typer.Option("--reason", help="A `[review] reason_codes` code.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Resolve an appeal you hold: recorded as `AppealResolved`; `reversed` also restores the
    item (`ItemRestored`)."""
    with domain_errors(), open_services(config, db) as services:
        resolved = resolve_appeal(
            services, task_id, reviewer, outcome=outcome, reason_code=reason, now=services.clock()
        )
    record = {
        "task_id": resolved.task.task_id,
        "item_id": resolved.task.item_id,
        "outcome": outcome.value,
        "restored": resolved.restored,
        "events": [e.type for e in resolved.events],
    }
    typer.echo(json.dumps(record, indent=2))
