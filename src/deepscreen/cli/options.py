"""Options shared by several commands, and the one place the CLI builds Services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from deepscreen.bootstrap import build
from deepscreen.cli.errors import CliError, ExitCode
from deepscreen.service import Services
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
