"""``deepscreen review queue | claim | decide | release | accuracy``: the review queue from the
command line, thin shells over ``service.review_queue`` (registered in ``cli.review``). Reviewer
names never leave in an export: listings and the accuracy report show pseudonyms."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Annotated, Any

import typer

from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, open_services
from deepscreen.cli.rows import OutputFormat, OutputOpt, print_rows
from deepscreen.core.decisions import Action
from deepscreen.core.events import Verdict
from deepscreen.core.tasks import ReviewTask
from deepscreen.service.review_gold import Interval, reviewer_accuracy
from deepscreen.service.review_queue import (
    Assignment,
    claim_next,
    decide,
    overdue,
    pseudonym,
    queue_counts,
    release,
)
from deepscreen.service.takedown_resolve import TakedownResolution

ReviewerOpt = Annotated[str, typer.Option("--reviewer", help="Who is working the queue.")]
QueuesOpt = Annotated[
    list[str] | None, typer.Option("--queue", help="Only this queue (repeatable; default: all).")
]
TaskArg = Annotated[str, typer.Argument(help="The task id, as `review claim` printed it.")]


def queue_cmd(
    show_overdue: Annotated[
        bool, typer.Option("--overdue", help="List the tasks past their SLA deadline.")
    ] = False,
    queues: QueuesOpt = None,
    limit: Annotated[int, typer.Option("--limit", min=0, max=10_000)] = 100,
    output_format: OutputOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tasks per queue and status, with how many are overdue; `--overdue` lists those."""
    with domain_errors(), open_services(config, db) as services:
        now = services.clock()
        if show_overdue:
            tasks = overdue(services, now=now, queues=queues, limit=limit)
            rows = [_task_row(t, lambda r: pseudonym(services, r)) for t in tasks]
        else:
            rows = [
                {"queue": c.queue, "status": c.status.value, "tasks": c.tasks, "overdue": c.overdue}
                for c in queue_counts(services, now=now)
                if queues is None or c.queue in queues
            ]
    _print(rows, output_format)


def claim_cmd(
    reviewer: ReviewerOpt,
    queues: QueuesOpt = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the gold-item draw (default: random).")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Claim the next task (highest expected harm averted per minute, then oldest) under a
    lease of `[review] lease_seconds`; prints it as JSON, or `null` when there is none."""
    with domain_errors(), open_services(config, db) as services:
        task = claim_next(
            services, reviewer, now=services.clock(), rng=random.Random(seed), queues=queues
        )
    typer.echo(json.dumps(None if task is None else _assignment(task), indent=2))


def decide_cmd(
    task_id: TaskArg,
    reviewer: ReviewerOpt,
    verdict: Annotated[Verdict, typer.Option("--verdict", help="The reviewer's verdict.")],
    reason: Annotated[str, typer.Option("--reason", help="A `[review] reason_codes` code.")],
    label: Annotated[str, typer.Option("--label", help="Finer class, e.g. deepfake.")] = "",
    action: Annotated[
        Action | None,
        typer.Option(
            "--action",
            help="Action a violation applies: one the policy applies, as the reviewer UI "
            "offers (default: the routing rule's `violating_action`, else `[review] "
            "violating_action`; `remove` for a takedown, the only one for NCII).",
        ),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Decide a task you hold: recorded as a review (a confirmed deepfake is banked). Prints
    JSON; a takedown task's line says what its decision did (`takedown`)."""
    with domain_errors(), open_services(config, db) as services:
        done = decide(
            services,
            task_id,
            reviewer,
            verdict=verdict,
            reason_code=reason,
            label=label,
            action=action,
            now=services.clock(),
        )
    record: dict[str, Any] = {"task_id": done.task.task_id, "item_id": done.task.item_id}
    record |= {"status": "done", "verdict": verdict.value, "reason_code": reason}
    if done.takedown is not None:  # a takedown task: what its decision did
        record["takedown"] = _takedown(done.takedown)
    typer.echo(json.dumps(record))


def release_cmd(
    task_id: TaskArg, reviewer: ReviewerOpt, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Give a task you hold back to its queue, undecided."""
    with domain_errors(), open_services(config, db) as services:
        release(services, task_id, reviewer, now=services.clock())
    typer.echo(json.dumps({"task_id": task_id, "status": "open"}))


def accuracy_cmd(
    output_format: OutputOpt = OutputFormat.TABLE, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Reviewer accuracy on gold items and pairwise agreement (95% Wilson), by pseudonym."""
    with domain_errors(), open_services(config, db) as services:
        report = reviewer_accuracy(services).pseudonymised(lambda r: pseudonym(services, r))
    rows: list[dict[str, Any]] = [
        {"reviewer": r.reviewer, "correct": r.correct, "judged": r.judged, **_ci(r.accuracy)}
        for r in report.reviewers
    ]
    rows += [
        {"reviewer": f"{p.reviewer_a} ~ {p.reviewer_b}", "correct": p.agreed, "judged": p.shared}
        | _ci(p.agreement)
        for p in report.pairs
    ]
    _print(rows, output_format)


def _takedown(resolution: TakedownResolution) -> dict[str, Any]:
    sweep = resolution.sweep
    return {
        "notice_id": resolution.notice_id,
        "removed": resolution.removed,
        "banked": [e.hash_hex for e in resolution.banked],
        "not_banked_because": resolution.not_banked_because,
        "closed_tasks": list(resolution.closed_tasks),
        "copies_removed": [] if sweep is None else [c.item_id for c in sweep.copies],
    }


def _ci(interval: Interval) -> dict[str, Any]:
    return {"share": interval.value, "low": interval.low, "high": interval.high}


def _assignment(task: Assignment) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "item_id": task.item_id,
        "kind": task.kind.value,
        "lease_expires_at": task.lease_expires_at.isoformat() if task.lease_expires_at else None,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "context": dict(task.context),
    }


def _task_row(task: ReviewTask, alias: Callable[[str], str]) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "queue": task.queue,
        "kind": task.kind.value,
        "status": task.status.value,
        "item_id": task.item_id,
        "due_at": task.due_at.isoformat() if task.due_at else None,
        "claimed_by": alias(task.claimed_by) if task.claimed_by else None,
    }


def _print(rows: list[dict[str, Any]], output_format: OutputFormat) -> None:
    print_rows(rows, output_format, empty="nothing to show", width=160)
