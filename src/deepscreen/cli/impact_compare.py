"""``deepscreen impact compare``: replay a candidate policy on stored items, compare with the
stored decisions (paired bootstrap)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.bootstrap import open_store
from deepscreen.cli.errors import CliError, ExitCode, domain_errors
from deepscreen.cli.options import (
    ConfigOpt,
    DbOpt,
    json_file_option,
    settings_from,
    write_json_file,
)
from deepscreen.core import metrics as definitions
from deepscreen.service.policy import load_bundle
from deepscreen.service.policy_compare import (
    Comparison,
    CostModel,
    MetricRow,
    compare_policies,
    comparison_cells,
)
from deepscreen.service.replay import comparison_report, latest_revision, load_events, select_items

CandidateArg = Annotated[
    Path | None,
    typer.Argument(
        help="Candidate policy bundle: a directory, or a shipped bundle's name (default, "
        "thresholds, label-first). Its *_test.yaml files are not run here.",
        file_okay=False,
    ),
]
ShadowOpt = Annotated[
    str | None,
    typer.Option(
        "--shadow",
        help="Compare with the decisions a shadow policy of this revision recorded live "
        "(instead of replaying a candidate directory).",
    ),
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline",
        help="Compare only items whose stored decision came from this policy revision "
        "(default: the revision of the latest stored decision).",
    ),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since", help="Items ingested at or after this ISO date/time (UTC unless given)."
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option(
        "--until",
        help="Items ingested before this ISO date/time; a bare date includes that whole day.",
    ),
]
JsonOpt = Annotated[Path | None, json_file_option("the comparison (every metric row)")]
BootOpt = Annotated[
    int, typer.Option("--n-boot", min=100, help="Paired bootstrap replicates for the delta CIs.")
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")]


def compare(
    candidate: CandidateArg = None,
    shadow: ShadowOpt = None,
    baseline: BaselineOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = None,
    n_boot: BootOpt = 2000,
    seed: SeedOpt = 0,
) -> None:
    """Compare a candidate policy with the stored decisions on the same stored items.

    The candidate is a policy directory (replayed), or with `--shadow REVISION` the decisions a
    shadow policy (`shadow_policy_dirs` in settings) recorded live beside the active one, on
    the items it decided.

    The candidate is re-evaluated on each item's stored inputs (its detector signals and item
    attributes): no detector is re-run and nothing is written. The replay is exact because a
    decision is a pure function of the policy and those stored inputs. Enforcement and views
    before action are recomputed for the candidate; ground truth, views, notices and appeals
    stay as recorded (an item the candidate would send to review counts as enforced only if a
    recorded human review confirmed a violation).

    Each metric shows baseline, candidate and the delta with a 95% CI from a paired bootstrap
    over items (the same resampled items for both policies). Metrics that need labels
    (precision, recall, false-positive rate, unactioned violating content, views before
    action, exposure, wrongful-action cost, harm) use the labelled items only. Costs come
    from the [costs] settings and are totals over the compared items; a cost row whose input
    is not configured is left out (with the total) and the missing setting is named under the
    table, with every cost assumption used.
    """
    period_start = parse_when(since, "--since", end=False)
    period_end = parse_when(until, "--until", end=True)
    with domain_errors():
        settings = settings_from(config, db)
        store = open_store(settings.db_url)
        try:
            events = load_events(store)
        finally:
            store.close()
        revision = baseline or latest_revision(events)
        if revision is None:
            raise CliError("no decisions are stored: nothing to compare", ExitCode.FAILURES)
        selection = select_items(
            events, since=period_start, until=period_end, baseline_revision=revision
        )
        if (candidate is None) == (shadow is None):
            raise CliError(
                "give a candidate policy directory or --shadow REVISION (one of them)",
                ExitCode.USAGE,
            )
        if shadow is not None:
            replayed = selection.shadow(shadow)
        else:
            assert candidate is not None
            names = selection.signal_names
            bundle = load_bundle(candidate, known_signals=names if names else None)
            replayed = selection.replay(bundle)
        costs = CostModel.from_mapping(settings.costs.model_dump())
        result = compare_policies(
            replayed.baseline, replayed.candidate, n_boot=n_boot, seed=seed, costs=costs
        )
    report = comparison_report(replayed, result, revision)
    if json_out is not None:
        write_json_file(json_out, report)
    _print(Console(), report, result)


def parse_when(text: str | None, option: str, *, end: bool) -> datetime | None:
    """An ISO date or date-time; naive means UTC; a bare end date includes that day."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time", param_hint=option
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if end and len(text.strip()) == 10:  # a bare date: the whole day is in the period
        when += timedelta(days=1)
    return when


def _print(console: Console, report: dict[str, Any], result: Comparison) -> None:
    period = report["period"]
    console.print(
        f"[bold]baseline[/] {escape(report['baseline_revision'])} → "
        f"[bold]candidate[/] {escape(report['candidate_revision'])}"
        + (" (shadow: decisions recorded live)" if report["candidate_source"] == "shadow" else "")
    )
    console.print(
        f"period: {period['since'] or 'beginning'} → {period['until'] or 'now'} (ingestion time)"
    )
    console.print(
        f"items replayed: {report['items_replayed']} "
        f"({report['items_changed']} decisions changed; {result.labelled} labelled, "
        f"{result.violating} violating)"
    )
    console.print(
        f"left out: {report['items_lacking_signals']} lacking stored signals, "
        f"{report['items_undecided']} without a stored decision, "
        f"{report['items_other_revisions']} decided by other revisions"
        + (
            f", {report['items_without_shadow']} without a shadow decision"
            if report["candidate_source"] == "shadow"
            else ""
        )
    )
    table = Table(
        title=f"paired bootstrap, {result.n_boot} replicates, seed {result.seed}",
        box=box.SIMPLE,
    )
    table.add_column("metric")
    table.add_column("baseline", justify="right")
    table.add_column("candidate", justify="right")
    table.add_column(f"delta [{result.confidence:.0%} CI]", justify="right")
    table.add_column("verdict")
    currency = result.costs.currency if result.costs is not None else ""
    for row in result.rows:
        table.add_row(definitions.label(row.metric), *_cells(row, currency))
    console.print(table)
    _print_costs(console, result)


def _print_costs(console: Console, result: Comparison) -> None:
    """Under the table: why cost rows are missing, then every cost input used."""
    costs = result.costs
    if costs is None:
        return
    if result.cost_notes:
        console.print("cost rows left out:")
        for note in result.cost_notes:
            console.print(f"  - {escape(note)}", soft_wrap=True)
    assumptions = costs.assumptions()
    if not assumptions:
        console.print(escape(f"cost assumptions: none configured ({costs.source})"))
        return
    console.print(
        f"cost assumptions (costs in {escape(costs.currency)}, totals over the "
        f"{result.items:,} compared items):"
    )
    for line in assumptions:
        console.print(f"  - {escape(line)}", soft_wrap=True)


def _cells(row: MetricRow, currency: str = "") -> tuple[str, str, str, str]:
    """The report's cells (one formatter, the interval in the change's unit)."""
    return comparison_cells(row.to_dict(), currency)
