"""``deepscreen notice submit | list | sweep | report``: takedown requests (NCII, TAKE IT DOWN Act;
EU DSA notices), thin shells over ``service.takedown`` and ``service.takedown_resolve``; the task
is claimed and decided like any other (`review claim`, `review decide`: docs/takedown.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.bootstrap import build_hosted
from deepscreen.cli.errors import EXIT_CODES_HELP, CliError, ExitCode, domain_errors
from deepscreen.cli.options import (
    ConfigOpt,
    DbOpt,
    command_group,
    json_file_option,
    open_services,
    settings_from,
    write_json_file,
)
from deepscreen.cli.rows import OutputFormat, OutputOpt, print_rows
from deepscreen.core.events import NoticeType, Notifier
from deepscreen.core.numbers import format_value
from deepscreen.service.takedown import (
    NoticeOutcome,
    NoticeRequest,
    TakedownConfig,
    ledger,
    submit_audited,
)
from deepscreen.service.takedown_compliance import PENDING, compliance_rows, shown_rows
from deepscreen.service.takedown_resolve import sweep_copies

ACTOR = "cli"  # as `deepscreen keys` and `appeal`: the audit trail's actor for the command line

app = command_group("Takedown requests: NCII (TAKE IT DOWN Act, 48 h) and DSA notices.")


def _config(config: Path | None, db: str | None) -> TakedownConfig:
    return TakedownConfig.from_settings(settings_from(config, db).takedown.model_dump())


@app.command("submit", epilog=EXIT_CODES_HELP)
def submit_cmd(
    notice_type: Annotated[
        NoticeType,
        typer.Option("--type", help="ncii (TAKE IT DOWN Act), dsa_illegal_content or other."),
    ],
    statement: Annotated[
        str | None,
        typer.Option("--statement", help="The requester's statement (at most 5,000 chars)."),
    ] = None,
    statement_file: Annotated[
        Path | None,
        typer.Option(
            "--statement-file", help="Read the statement from this UTF-8 file.", dir_okay=False
        ),
    ] = None,
    item: Annotated[str | None, typer.Option("--item", help="The item id, e.g. sha256:…")] = None,
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="The SHA-256 of the media's bytes.")
    ] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="The URL the media was scanned from.")
    ] = None,
    contact: Annotated[
        str, typer.Option("--contact", help="How to reach the requester (kept, never shown).")
    ] = "",
    good_faith: Annotated[
        bool,
        typer.Option(
            "--good-faith",
            help="The requester declared in good faith that the request is accurate "
            "(required for ncii and dsa_illegal_content).",
        ),
    ] = False,
    notifier: Annotated[Notifier, typer.Option("--notifier", help="Who sent it.")] = Notifier.USER,
    external_id: Annotated[
        str | None,
        typer.Option(
            "--external-id", help="Your id of the request (the same id: the same notice)."
        ),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a takedown request and queue its item, due at the legal deadline (`[takedown]`:
    48 h for NCII) and ranked above every review task. Prints the notice as JSON; the same
    request again prints the first one (`"duplicate": true`). A request naming no stored item
    is recorded as unmatched (no task)."""
    with domain_errors():
        text = _statement(statement, statement_file)
        request = NoticeRequest(
            notice_type=notice_type,
            item_id=item,
            sha256=sha256,
            url=url,
            statement=text,
            contact=contact,
            good_faith=good_faith,
            notifier=notifier,
            external_id=external_id,
        )
        settings = settings_from(config, db)
        stores = build_hosted(settings)
        try:
            with open_services(config, db) as services:
                outcome = submit_audited(
                    services,
                    TakedownConfig.from_settings(settings.takedown.model_dump()),
                    request,
                    audit=stores.audit,
                    actor=ACTOR,
                )
        finally:
            stores.close()
    typer.echo(json.dumps(_outcome(outcome), indent=2))


@app.command("list", epilog=EXIT_CODES_HELP)
def list_cmd(
    outcome: Annotated[
        str | None,
        typer.Option(
            "--outcome", help="Only: removed, restricted, rejected, pending or unmatched."
        ),
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only pending requests past their deadline.")
    ] = False,
    output_format: OutputOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Every takedown request: type, received, deadline, item, outcome, hours to removal, and
    whether it was removed in time (never the statement or the requester's contact)."""
    with domain_errors(), open_services(config, db) as services:
        now = services.clock()
        found = ledger(services, bank=_config(config, db).bank)
    rows = [
        _request_row(r.to_dict())
        for r in found.requests
        if (outcome is None or r.outcome == outcome)
        and (not overdue or (r.outcome == PENDING and r.overdue(now)))
    ]
    _print(rows, output_format)


@app.command("sweep", epilog=EXIT_CODES_HELP)
def sweep_cmd(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Find the stored items that are copies of a removed takedown item (its hashes in the
    takedown bank: identical and near-identical by PDQ) and record their removal, each linked
    to its notice; also banks any removed item whose banking did not happen. Idempotent."""
    with domain_errors(), open_services(config, db) as services:
        settings = _config(config, db)
        result = sweep_copies(
            services,
            queue=settings.queue,
            bank=settings.bank,
            threshold=settings.bank_threshold,
            now=services.clock(),
        )
    record = {
        "checked": result.checked,
        "rebanked": result.rebanked,
        "copies_removed": [
            {
                "item_id": c.item_id,
                "notice_id": c.notice_id,
                "copy_of": c.copy_of,
                "distance": c.distance,
            }
            for c in result.copies
        ],
    }
    typer.echo(json.dumps(record, indent=2))


@app.command("report", epilog=EXIT_CODES_HELP)
def report_cmd(
    since: Annotated[
        datetime | None, typer.Option("--since", help="Requests received from (ISO 8601, UTC).")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option("--until", help="Requests received before.")
    ] = None,
    output_format: OutputOpt = OutputFormat.TABLE,
    json_file: Annotated[Path | None, json_file_option("the figures")] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Compliance figures: requests by type, unmatched and overdue requests, the median time
    to removal (exact 95% order-statistic interval), the share removed within the deadline
    (95% Wilson interval) and copies removed."""
    with domain_errors(), open_services(config, db) as services:
        now = services.clock()
        found = ledger(services, bank=_config(config, db).bank)
        rows = compliance_rows(found, now=now, since=_utc(since), until=_utc(until))
    if json_file is not None:
        write_json_file(json_file, {"as_of": now.isoformat(), "figures": rows})
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("Figure", "Type", "Value", "95% CI", "n")
    for row in shown_rows(rows):
        low, high, unit = row["ci_low"], row["ci_high"], row["unit"]
        ci = (
            ""
            if low is None or high is None
            else f"{format_value(low, unit)} – {format_value(high, unit)}"
        )
        table.add_row(
            escape(row["label"]),
            row["notice_type"],
            format_value(row["value"], row["unit"]),
            ci,
            f"{row['n']:,}",
        )
    Console(width=140).print(table)


def _statement(statement: str | None, path: Path | None) -> str:
    if (statement is None) == (path is None):
        raise CliError("give the statement with --statement or --statement-file", ExitCode.USAGE)
    if path is None:
        assert statement is not None
        return statement
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"cannot read {path}: {exc}", ExitCode.FAILURES) from exc


def _utc(value: datetime | None) -> datetime | None:
    """A time given without a zone is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _outcome(outcome: NoticeOutcome) -> dict[str, Any]:
    notice, task = outcome.notice, outcome.task
    return {
        "notice_id": notice.notice_id,
        "type": None if notice.notice_type is None else notice.notice_type.value,
        "matched": outcome.matched,
        "item_id": notice.item_id if outcome.matched else None,
        "received_at": notice.occurred_at.isoformat(),
        "deadline_at": None if notice.deadline_at is None else notice.deadline_at.isoformat(),
        "task_id": None if task is None else task.task_id,
        "queue": None if task is None else task.queue,
        "due_at": None if task is None or task.due_at is None else task.due_at.isoformat(),
        "duplicate": outcome.duplicate,
    }


def _request_row(data: dict[str, Any]) -> dict[str, Any]:
    hours = data["hours_to_removal"]
    return {
        "notice_id": data["notice_id"],
        "type": data["notice_type"],
        "received_at": data["received_at"],
        "deadline_at": data["deadline_at"],
        "item_id": data["item_id"] if data["matched"] else None,
        "outcome": data["outcome"],
        "hours_to_removal": None if hours is None else round(hours, 3),
        "in_time": data["removed_within_deadline"],
    }


def _print(rows: list[dict[str, Any]], output_format: OutputFormat) -> None:
    print_rows(rows, output_format, empty="no takedown requests", width=200)
