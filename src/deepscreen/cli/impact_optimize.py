"""``deepscreen impact optimize``: choose score thresholds from labelled items and configured
costs, and write them into a candidate policy bundle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from deepscreen.bootstrap import open_store
from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import (
    ConfigOpt,
    DbOpt,
    OutputFormat,
    json_file_option,
    settings_from,
    write_json_file,
)
from deepscreen.service.optimize import (
    PolicyOptimization,
    default_thresholds_dir,
    optimization_document,
    optimize_policy,
)

SCORE_SIGNAL = "ensemble"


def optimize(
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Directory for the candidate bundle (new or empty).", file_okay=False
        ),
    ],
    max_fpr: Annotated[
        float | None,
        typer.Option(
            "--max-fpr",
            min=0.0,
            max=1.0,
            help="Largest false-positive rate of automated enforcement (remove or label) on "
            "labelled non-violating items.",
        ),
    ] = None,
    review_capacity: Annotated[
        float | None,
        typer.Option(
            "--review-capacity", min=0.0, help="Most items per day the review band may send."
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            help="Base bundle declaring remove_min_score, label_min_score and/or "
            "review_min_score: a directory or a shipped bundle's name (default: the shipped "
            "thresholds bundle).",
            file_okay=False,
        ),
    ] = None,
    days: Annotated[
        float | None,
        typer.Option(
            "--days",
            help="Length of the period in days, for the review load (default: the items' "
            "ingestion span, at least one day).",
        ),
    ] = None,
    harm_prevented: Annotated[
        list[str],
        typer.Option(
            "--harm-prevented",
            metavar="ACTION=SHARE",
            help="Share of an item's harm an action stops, e.g. label=0.5 (repeatable; "
            "default 1 for remove and label).",
        ),
    ] = [],  # noqa: B006 - typer idiom
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: Annotated[
        Path | None,
        json_file_option("the result (read by `deepscreen report --optimization FILE`)"),
    ] = None,
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format", help="table: the readable result; json: the result file's JSON on stdout."
        ),
    ] = OutputFormat.TABLE,
) -> None:
    """Choose the score thresholds of a threshold bundle that minimise expected cost.

    **Rule** (docs/metrics.md, 'Threshold optimiser'): acting on an item with action *a* costs
    `(1 − p)·c_FP[a] + p·(1 − prevented[a])·h·V`; not acting costs `p·h·V`; reviewing costs the
    review cost per item and resolves the item. `p` is the item's score, `c_FP[a]` the
    configured wrongful-action cost, `h` the harm per violating view of the item's segment's
    severity and `V` its views. Every ordered combination `remove ≥ label ≥ review` of cut points
    between the stored scores is costed, and the cheapest one that meets `--max-fpr` and
    `--review-capacity` is chosen (on a tie, the one acting least).

    **Assumptions** (all printed): scores are calibrated probabilities of violation; realised
    views stand in for the views without action; an action stops all of an item's harm unless
    `--harm-prevented` says otherwise; reviewers are right and in time; expected cost and the
    false-positive rate use the scored labelled items, the review load all scored items over
    the period; provenance rules that run before the thresholds are not modelled.

    **Inputs**: scored items with ground-truth labels (`deepscreen impact import labels`, or
    `deepscreen sample` then `deepscreen review`), their views (`deepscreen impact import
    views`) and the `[costs]` settings (wrongful_action_cost per action, a review cost,
    harm_per_violating_view; `deepscreen costs init` writes a file with every key). A missing
    input is named with what supplies it, and nothing is chosen. The thresholds act on
    `signals.ensemble`, so `[ensemble]` must be enabled. The candidate is a copy of the base
    bundle with the params set; its tests are run as `deepscreen policy test` runs them.

    **Output**: the result on stdout (`--format json`: as JSON); `--json FILE` also writes it
    to FILE, the input of `deepscreen report --optimization FILE`.

    Exit codes: 0 candidate written and its tests pass; 1 refused (a missing input, no
    combination meets the constraints) or the candidate's tests fail; 3 invalid settings,
    costs or bundle.
    """
    if days is not None and not days > 0:
        raise typer.BadParameter("must be > 0", param_hint="--days")
    with domain_errors():
        settings = settings_from(config, db)
        if not settings.ensemble.enabled:
            raise CliError(
                "the thresholds act on signals.ensemble: enable the ensemble "
                "([ensemble] enabled = true, or DEEPSCREEN_ENSEMBLE__ENABLED=true)",
                ExitCode.INVALID_CONFIG,
            )
        known = [*settings.detectors, SCORE_SIGNAL]
        prevented = _shares(harm_prevented)
        store = open_store(settings.db_url)
        try:
            result = optimize_policy(
                store,
                settings.costs.model_dump(),
                base_dir=policy or default_thresholds_dir(),
                out_dir=out,
                max_fpr=max_fpr,
                review_capacity_per_day=review_capacity,
                period_days=days,
                harm_prevented=prevented,
                known_signals=known,
                score_signal=SCORE_SIGNAL,
            )
        finally:
            store.close()
    document = optimization_document(result)
    if output_format is OutputFormat.JSON:
        typer.echo(json.dumps(document, indent=2, allow_nan=False))
    else:
        for line in report_lines(result):
            typer.echo(line)
    if json_out is not None:
        write_json_file(json_out, document)
    if not result.candidate.ok:
        raise typer.Exit(int(ExitCode.FAILURES))


def _shares(pairs: list[str]) -> dict[str, float]:
    shares: dict[str, float] = {}
    for pair in pairs:
        action, sep, raw = pair.partition("=")
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not sep or action not in ("remove", "label") or not 0.0 <= value <= 1.0:
            raise CliError(
                f"--harm-prevented expects remove=SHARE or label=SHARE with SHARE in [0, 1], "
                f"got {pair!r}",
                ExitCode.USAGE,
            )
        shares[action] = value
    return shares


def report_lines(result: PolicyOptimization) -> list[str]:
    optimum, candidate = result.optimum, result.candidate
    lines = [
        f"items: {optimum.scored:,} scored, {optimum.labelled:,} of them labelled; "
        f"period {optimum.period_days:g} days",
        *optimum.format_lines(),
    ]
    changes = ", ".join(
        f"{name} {old:g} → {new:g}" for name, (old, new) in candidate.changes.items()
    )
    lines.append(
        f"candidate bundle: {candidate.directory} (revision {candidate.revision}; base "
        f"{candidate.base_directory}, revision {candidate.base_revision}): {changes}"
    )
    tests = candidate.tests
    failed = [r for r in tests.results if r.status.value != "PASS"]
    lines.append(
        f"candidate policy tests: {len(tests.results) - len(failed)}/{len(tests.results)} pass; "
        f"rule coverage {len(tests.covered)}/{len(tests.rule_ids)}"
        + (f" (not reached: {', '.join(tests.uncovered)})" if tests.uncovered else "")
    )
    for r in failed:
        lines.append(f"  {r.status.value} {r.file}::{r.name} — {r.message}")
    return lines
