"""Options shared by several commands, and the one place the CLI builds Services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape

from deepscreen.bootstrap import build, build_hosted
from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.core.files import write_json_atomic
from deepscreen.service import Services
from deepscreen.service.hosted import HostedStores
from deepscreen.settings import Settings, load_settings

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", help="Settings file (default: ./deepscreen.toml if present).", dir_okay=False
    ),
]
DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Event store URL, e.g. sqlite:///deepscreen.db, postgresql://user@host/db, memory://",
    ),
]
PolicyOpt = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="Policy bundle directory (default: the shipped bundle).", file_okay=False
    ),
]


class Period(StrEnum):
    """``--period``: figures per upload day, ISO week or month, or over all time."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"


def command_group(
    help_text: str, *, epilog: str | None = None, no_args_is_help: bool = True
) -> typer.Typer:
    """A command group (``deepscreen <group> …``) in the CLI's style: Markdown help, and
    ``epilog`` (typically the exit codes) after it."""
    return typer.Typer(
        help=help_text, epilog=epilog, no_args_is_help=no_args_is_help, rich_markup_mode="markdown"
    )


def input_file_option(flag: str, help_text: str) -> Any:
    """An optional option naming a file that must exist (the output of another command)."""
    return typer.Option(flag, help=help_text, exists=True, dir_okay=False)


class OutputFormat(StrEnum):
    """``--format`` of the commands that print a table or, for scripts, JSON."""

    TABLE = "table"
    JSON = "json"


def json_file_option(what: str) -> Any:
    """The one ``--json FILE`` option: every command that has it takes a file path and writes
    ``what`` there as JSON (whole or not at all), keeping its human output on stdout. Printing
    JSON to stdout instead is ``--format json``, where a command offers it."""
    return typer.Option(
        "--json",
        metavar="FILE",
        help=f"Also write {what} as JSON to FILE (written whole or not at all).",
        dir_okay=False,
        show_default=False,
    )


def write_json_file(path: Path, data: Any) -> None:
    """Write a ``--json FILE`` result atomically and say so on stderr; a failure to write is
    exit 1 with the reason, not a traceback."""
    with domain_errors():
        try:
            write_json_atomic(path, data)
        except OSError as exc:
            message = f"cannot write {path}: {exc.strerror or exc}"
            raise CliError(message, ExitCode.FAILURES) from exc
    Console(stderr=True).print(f"wrote {escape(str(path))}")


def settings_from(
    config: Path | None, db: str | None = None, policy: Path | None = None
) -> Settings:
    return load_settings(config, db_url=db, policy_dir=str(policy) if policy else None)


def services_from(config: Path | None, db: str | None, policy: Path | None) -> Services:
    return build(settings_from(config, db, policy))


@contextmanager
def open_services(config: Path | None, db: str | None) -> Iterator[Services]:
    """Services for one command, with the event store and the review queue closed after it."""
    services = services_from(config, db, None)
    try:
        yield services
    finally:
        services.store.close()
        if services.review_queue is not None:
            services.review_queue.close()


@contextmanager
def open_hosted(config: Path | None, db: str | None) -> Iterator[HostedStores]:
    """The HTTP service's stores (API keys, audit trail, …) for one command, closed after it."""
    stores = build_hosted(settings_from(config, db))
    try:
        yield stores
    finally:
        stores.close()


def parse_assignments(pairs: list[str], root: str) -> dict[str, Any]:
    """``metadata.score=1.0`` → ``{"metadata": {"score": 1.0}}``; values parsed as YAML scalars."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CliError(f"--{root} expects NAME=VALUE, got {pair!r}", ExitCode.USAGE)
        node = out
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(raw)
    return out
