"""Exit codes (one enum) and the single mapping from domain errors to CLI errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

import typer
from rich.console import Console

from deepscreen.core.errors import (
    BackendError,
    ConfigError,
    DeepscreenError,
    InvalidInput,
    PluginError,
    PolicyError,
)


class ExitCode(IntEnum):
    OK = 0
    FAILURES = 1  # some inputs were unreadable, or policy tests failed
    USAGE = 2  # bad command line (click's own code)
    INVALID_CONFIG = 3  # settings, policy bundle or plug-in configuration refused
    BACKEND = 4  # the event store could not be reached


class CliError(Exception):
    """A failure the CLI reports as one line on stderr and an exit code (no traceback)."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def exit_code_for(error: DeepscreenError) -> ExitCode:
    if isinstance(error, ConfigError | PolicyError | PluginError):
        return ExitCode.INVALID_CONFIG
    if isinstance(error, BackendError):
        return ExitCode.BACKEND
    if isinstance(error, InvalidInput):
        return ExitCode.FAILURES
    return ExitCode.FAILURES


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a DeepscreenError or CliError into a message on stderr and its exit code."""
    try:
        yield
    except (DeepscreenError, CliError) as exc:
        code = exc.exit_code if isinstance(exc, CliError) else exit_code_for(exc)
        err = Console(stderr=True, soft_wrap=True, highlight=False)
        err.print("[red]error:[/red]", end=" ")
        err.print(str(exc), markup=False)  # user text may hold [brackets]: no markup
        raise typer.Exit(int(code)) from exc


EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 some inputs unreadable or tests failed; 2 usage error; "
    "3 invalid settings, policy or plug-in; 4 event store or package index unavailable."
)
