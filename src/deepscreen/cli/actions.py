"""``deepscreen actions``: the action feed from the command line — what applies to each item as
it changes (``service.actions``; ``GET /v1/actions`` over HTTP)."""

from __future__ import annotations

import json
import time
from typing import Annotated, Any

import typer
from rich.console import Console

from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, open_services
from deepscreen.cli.rows import OutputFormat, OutputOpt, print_rows
from deepscreen.service.actions import MAX_AFTER, MAX_PAGE, ActionChange, action_page

TABLE_COLUMNS = ("seq", "item_id", "action", "source", "occurred_at", "notice_id", "reviewer")


def actions(
    after: Annotated[
        int,
        typer.Option(
            "--after", min=0, max=MAX_AFTER, help="Changes after this seq (0: from the start)."
        ),
    ] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, max=MAX_PAGE)] = 100,
    follow: Annotated[
        bool,
        typer.Option("--follow", help="Keep printing new changes until Ctrl-C (JSON: one a line)."),
    ] = False,
    every: Annotated[
        float, typer.Option("--every", min=0.1, help="With --follow: seconds between polls.")
    ] = 2.0,
    output_format: OutputOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """What applies to each item, change by change in the order recorded: the automated
    decision (`policy`), a person's review (`review`), a takedown's removal (`takedown`) and
    its copies' (`takedown_copy`), an appeal's restoration (`appeal`). Prints where to read on
    (`--after N`) on stderr; docs/actions.md."""
    with domain_errors(), open_services(config, db) as services:
        if not follow:
            page = action_page(services, after=after, limit=limit)
            rows = [_row(c, output_format) for c in page.changes]
            print_rows(rows, output_format, empty="no changes", width=160)
            more = " (more: run again)" if page.has_more else ""
            Console(stderr=True).print(f"next: --after {page.next_after}{more}")
            return
        cursor = after
        try:
            while True:
                page = action_page(services, after=cursor, limit=limit)
                _print_follow(page.changes, output_format)
                cursor = page.next_after
                if not page.has_more:
                    time.sleep(every)
        except KeyboardInterrupt:
            Console(stderr=True).print(f"stopped; next: --after {cursor}")


def _print_follow(changes: list[ActionChange], output_format: OutputFormat) -> None:
    if output_format is OutputFormat.JSON:
        for change in changes:
            typer.echo(json.dumps(_row(change, output_format)))
    elif changes:
        print_rows([_row(c, output_format) for c in changes], output_format, empty="", width=160)


def _row(change: ActionChange, output_format: OutputFormat) -> dict[str, Any]:
    """Every field as JSON; the table's columns for a table."""
    row = {
        "seq": change.seq,
        "item_id": change.item_id,
        "action": change.action.value,
        "source": change.source.value,
        "occurred_at": change.occurred_at.isoformat(),
        "decision_id": change.decision_id,
        "notice_id": change.notice_id,
        "copy_of": change.copy_of,
        "reviewer": change.reviewer,
        "verdict": None if change.verdict is None else change.verdict.value,
        "appeal_outcome": None if change.appeal_outcome is None else change.appeal_outcome.value,
    }
    if output_format is OutputFormat.JSON:
        return row
    shown = {k: row[k] for k in TABLE_COLUMNS}
    shown["occurred_at"] = change.occurred_at.isoformat(timespec="seconds")
    return shown
