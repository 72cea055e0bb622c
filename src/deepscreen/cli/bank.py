"""``deepscreen bank create|add|import|export|list|match``: PDQ hash banks in the database."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from deepscreen.bootstrap import opened_banks, size_limits
from deepscreen.cli.errors import ExitCode, domain_errors
from deepscreen.cli.options import ConfigOpt, DbOpt, OutputFormat, command_group, settings_from
from deepscreen.core.banks import DEFAULT_PDQ_THRESHOLD, BankPurpose
from deepscreen.core.clock import system_clock
from deepscreen.core.files import atomic_writer
from deepscreen.service import banks as service
from deepscreen.service.banks import BankFileFormat, MediaLimits
from deepscreen.service.scan import ScanFailure
from deepscreen.service.stores import BankStore

EPILOG = """\
The closed loop's bank (`[banking] bank`, default `confirmed_deepfakes`) is created by its first
use — a banking review, `bank import` or `bank add`; any other bank by `bank create`. Entries an
appeal's reversal removed are no longer matched nor exported (`appeal resolve`).

Exit codes: 0 ok; 1 a file refused (bad lines listed, nothing imported), an unknown bank or a
name already taken, or some media unreadable; 3 invalid settings; 4 store unavailable.
"""

app = command_group(
    "Hash banks: PDQ hashes of known media, to block (deepfakes) or allow (originals).",
    epilog=EPILOG,
)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in this environment (containers)
        return "unknown"


FileFormatOpt = Annotated[
    BankFileFormat, typer.Option("--format", help="csv (every field) or hma (hashes, one a line).")
]
OutputOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who adds the entries (default: your login).")]
NameArg = Annotated[str, typer.Argument(help="Bank name (lower_snake_case).")]


@contextmanager
def _bank_store(
    config: Path | None, db: str | None
) -> Iterator[tuple[BankStore, MediaLimits, frozenset[str]]]:
    """The bank store in the event store's database (``--db`` or settings), media limits, and
    the bank names the settings declare (created on first use: ``[banking] bank``)."""
    settings = settings_from(config, db)
    with opened_banks(settings) as store:
        yield store, size_limits(settings), frozenset({settings.banking.bank})


@app.command("create")
def create_cmd(
    name: NameArg,
    purpose: Annotated[BankPurpose, typer.Option("--purpose", help="block or allow.")],
    threshold: Annotated[
        int, typer.Option("--threshold", help="Match at Hamming distance ≤ this (0..128 bits).")
    ] = DEFAULT_PDQ_THRESHOLD,
    description: Annotated[str, typer.Option("--description", help="What the bank holds.")] = "",
    by: ByOpt = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Create an empty bank."""
    with domain_errors(), _bank_store(config, db) as (store, _limits, _declared):
        bank = service.create_bank(
            store,
            name,
            purpose,
            created_by=by or _user(),
            now=system_clock(),
            threshold=threshold,
            description=description,
        )
    typer.echo(f"created bank {bank.name} ({bank.purpose.value}, threshold {bank.threshold})")


@app.command("add")
def add_cmd(
    name: NameArg,
    paths: Annotated[list[Path], typer.Argument(help="Image files or directories (recursive).")],
    reason: Annotated[str, typer.Option("--reason", help="Why these are banked.")] = "",
    by: ByOpt = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Hash images with PDQ and add them to a bank (quality below 50 is refused)."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    with domain_errors(), _bank_store(config, db) as (store, limits, declared):
        result = service.add_media_to_bank(
            store,
            paths,
            name,
            reason=reason,
            added_by=by or _user(),
            now=system_clock(),
            limits=limits,
            declared=declared,
        )
    for entry in result.entries:
        typer.echo(f"{entry.hash_hex}  quality {entry.quality}  {entry.metadata['filename']}")
    for failure in result.failures:
        err.print(f"[red]refused[/red] {escape(str(failure.error))}")
    held = len(result.entries) - result.added
    err.print(
        f"bank {name}: {result.added} new entries, {held} already held,"
        f" {len(result.failures)} files refused"
    )
    if result.failures:
        raise typer.Exit(ExitCode.FAILURES)


@app.command("import")
def import_cmd(
    name: NameArg,
    path: Annotated[Path, typer.Argument(help="Bank file to import.", dir_okay=False)],
    file_format: FileFormatOpt = BankFileFormat.CSV,
    reason: Annotated[str, typer.Option("--reason", help="Reason for rows without one.")] = "",
    by: ByOpt = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Import a bank file: every line is checked first; one bad line and nothing is imported.

    Hashes already in the bank are skipped, so re-importing a file adds nothing. The first
    import into the closed loop's bank (`[banking] bank`) creates it; other banks must exist.
    """
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    size = path.stat().st_size if path.is_file() else None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with domain_errors(), _bank_store(config, db) as (store, _limits, declared), progress:
        task = progress.add_task("checking", total=size)

        def advance(stage: str, done: int) -> None:
            if stage == "writing":  # one transaction: nothing to count until it commits
                progress.update(task, description=f"writing {done} entries", completed=size)
            else:
                progress.update(task, completed=done)

        result = service.import_bank_file(
            store,
            name,
            path,
            file_format,
            by or _user(),
            system_clock(),
            reason=reason,
            on_progress=advance,
            declared=declared,
        )
    err.print(
        f"bank {name}: read {result.read} entries, added {result.added},"
        f" skipped {result.skipped} already held"
    )


@app.command("export")
def export_cmd(
    name: NameArg,
    file_format: FileFormatOpt = BankFileFormat.CSV,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="File to write (default: standard output).", dir_okay=False),
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Export the entries in force of a bank, in insertion order: entries an appeal's reversal
    removed are left out, as a consumer that replaces its copy with the file expects."""
    with domain_errors(), _bank_store(config, db) as (store, _limits, _declared):
        service.get_bank(store, name)
        if output is None:
            count = service.export_bank(store, name, file_format, sys.stdout)
        else:
            with atomic_writer(output, "w", newline="") as out:  # a failure leaves no half file
                count = service.export_bank(store, name, file_format, cast(TextIO, out))
    Console(stderr=True).print(f"exported {count} entries of bank {name}")


@app.command("list")
def list_cmd(
    output_format: OutputOpt = OutputFormat.TABLE, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """List banks with their purpose, threshold and number of entries."""
    with domain_errors(), _bank_store(config, db) as (store, _limits, _declared):
        banks = service.list_banks(store)
    if output_format is OutputFormat.JSON:
        rows = [
            {
                "name": b.name,
                "purpose": b.purpose.value,
                "threshold": b.threshold,
                "entries": n,
                "description": b.description,
                "created_by": b.created_by,
                "created_at": b.created_at.isoformat(),
            }
            for b, n in banks
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table("bank", "purpose", "threshold", "entries", "description", "created")
    for b, n in banks:
        created = f"{b.created_at:%Y-%m-%d} by {b.created_by}"
        row = (b.name, b.purpose.value, str(b.threshold), str(n), b.description, created)
        table.add_row(*map(escape, row))
    Console().print(table)


@app.command("match")
def match_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Image files or directories (recursive).")],
    output_format: OutputOpt = OutputFormat.TABLE,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Hash images with PDQ and show every bank entry within its bank's threshold."""
    with domain_errors(), _bank_store(config, db) as (store, limits, _declared):
        results = service.match_media(store, paths, limits=limits)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps([_match_record(r) for r in results], indent=2))
    else:
        _print_matches(results)
    if any(isinstance(r, ScanFailure) for r in results):
        raise typer.Exit(ExitCode.FAILURES)


def _match_record(result: service.MediaMatches | ScanFailure) -> dict[str, Any]:
    if isinstance(result, ScanFailure):
        return {
            "source": result.source,
            "error": {"code": result.error.code, "message": str(result.error)},
        }
    return {
        "source": result.source,
        "item_id": result.item_id,
        "hash": result.hash_hex,
        "quality": result.quality,
        "matches": [m.to_evidence() for m in result.matches],
    }


def _print_matches(results: list[service.MediaMatches | ScanFailure]) -> None:
    """One row per match (hashes and ids shortened: ``--format json`` has them whole)."""
    columns = ("bank", "purpose", "distance", "matched hash", "banked item", "added")
    table = Table(Column("file", overflow="fold"), *columns)
    for r in results:
        if isinstance(r, ScanFailure):
            table.add_row(
                escape(r.source), f"[red]{r.error.code}[/red]", *[""] * 4, escape(str(r.error))
            )
            continue
        if not r.matches:
            table.add_row(escape(r.source), "[dim]no match[/dim]", *[""] * 5)
        for m in r.matches:
            added = f"by {m.added_by}" + (f": {m.reason}" if m.reason else "")
            distance = f"{m.distance}/{m.threshold}"
            item = _short(m.item_id.removeprefix("sha256:")) if m.item_id else ""
            cells = (r.source, m.bank, m.purpose.value, distance, _short(m.hash_hex), item, added)
            table.add_row(*map(escape, cells))
    Console().print(table)


def _short(text: str) -> str:
    return text if len(text) <= 12 else text[:12] + "…"
