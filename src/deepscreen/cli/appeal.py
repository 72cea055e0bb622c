"""``deepscreen appeal open | resolve``: appeals from the command line, thin shells over
``service.appeals``. An appeal task is claimed like any other: `review claim --queue appeals`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, command_group, open_hosted, open_services
from deepscreen.core.banks import BankRemoval
from deepscreen.core.events import AppealOutcome
from deepscreen.service import Services
from deepscreen.service.appeals import (
    audit_unbanking,
    open_appeal,
    resolve_appeal,
    retry_unbanking,
)

ACTOR = "cli"  # as `deepscreen keys`: the audit trail's actor for the command line

app = command_group("Open and resolve appeals against enforcement.")


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
    item (`ItemRestored`) and takes its hashes out of the block banks (listed under
    `unbanked`, audited as `bank.unbank`), so that re-uploads of it are no longer removed."""
    with domain_errors(), open_services(config, db) as services:
        resolved = resolve_appeal(
            services, task_id, reviewer, outcome=outcome, reason_code=reason, now=services.clock()
        )
        _audit(config, db, services, resolved.unbanked, task_id)
    record = {
        "task_id": resolved.task.task_id,
        "item_id": resolved.task.item_id,
        "outcome": outcome.value,
        "restored": resolved.restored,
        "events": [e.type for e in resolved.events],
        "unbanked": [_removal(r) for r in resolved.unbanked],
    }
    typer.echo(json.dumps(record, indent=2))


@app.command("unbank")
def unbank_cmd(
    task_id: Annotated[str, typer.Argument(help="An appeal task resolved `reversed`.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Take the item of a reversed appeal out of the block banks again — only needed when
    `appeal resolve` stopped (e.g. the database went away) after recording the reversal;
    prints what it removed (nothing when the resolution already did it)."""
    with domain_errors(), open_services(config, db) as services:
        removed = retry_unbanking(services, task_id, now=services.clock())
        _audit(config, db, services, removed, task_id)
    typer.echo(json.dumps({"task_id": task_id, "unbanked": [_removal(r) for r in removed]}))


def _audit(
    config: Path | None,
    db: str | None,
    services: Services,
    removed: Sequence[BankRemoval],
    task_id: str,
) -> None:
    """The `bank.unbank` audit entry, in the audit trail of the HTTP service's database."""
    if not removed:
        return
    with open_hosted(config, db) as stores:
        audit_unbanking(
            stores.audit,
            removed,
            actor=ACTOR,
            item_id=removed[0].entry.item_id or "",
            task_id=task_id,
            clock=services.clock,
        )


def _removal(removal: BankRemoval) -> dict[str, str]:
    return {
        "bank": removal.entry.bank,
        "hash": removal.entry.hash_hex,
        "removed_by": removal.removed_by,
        "removed_at": removal.removed_at.isoformat(),
        "reason": removal.reason,
    }
