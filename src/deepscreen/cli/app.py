"""The ``deepscreen`` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from deepscreen import __version__
from deepscreen.cli import (
    appeal,
    bank,
    costs,
    db,
    demo,
    export,
    impact,
    keys,
    learn,
    media,
    models,
    notice,
    policy,
    report,
    review,
    sample,
    scan,
    serve,
    simulate,
    worker,
)
from deepscreen.cli.errors import EXIT_CODES_HELP

app = typer.Typer(
    name="deepscreen",
    help="Moderate generative-AI and deepfake media, and measure what the policy did.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)
app.command("scan", epilog=EXIT_CODES_HELP)(scan.scan)
app.command("demo")(demo.demo)
app.command("train", epilog=EXIT_CODES_HELP)(learn.train)
app.command("eval", epilog=EXIT_CODES_HELP)(learn.evaluate)
app.add_typer(policy.app, name="policy")
app.add_typer(review.app, name="review")
app.add_typer(appeal.app, name="appeal")
app.add_typer(notice.app, name="notice")
app.add_typer(bank.app, name="bank")
app.add_typer(models.app, name="models")
app.add_typer(impact.app, name="impact")
app.add_typer(db.app, name="db")
app.command("sample", epilog=EXIT_CODES_HELP)(sample.sample)
app.command("simulate", epilog=EXIT_CODES_HELP)(simulate.simulate)
app.command("serve", epilog=EXIT_CODES_HELP)(serve.serve)
app.command("worker", epilog=EXIT_CODES_HELP)(worker.worker)
app.command("publish", epilog=EXIT_CODES_HELP)(worker.publish)
app.add_typer(keys.app, name="keys")
app.add_typer(export.app, name="export")
app.add_typer(report.app, name="report")
app.add_typer(costs.app, name="costs")
app.add_typer(media.app, name="media")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deepscreen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Moderate generative-AI and deepfake media, and measure what the policy did."""


def main() -> None:
    app()
