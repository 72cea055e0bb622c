"""``deepscreen simulate``: run the platform simulator on a scenario under the real policy,
with what-if sweeps or a candidate policy; every figure printed is simulated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from deepscreen.bootstrap import default_policy_dir, signal_names
from deepscreen.cli.errors import domain_errors
from deepscreen.cli.options import (
    ConfigOpt,
    PolicyOpt,
    json_file_option,
    settings_from,
    write_json_file,
)
from deepscreen.cli.progress import progress_bar
from deepscreen.core.files import json_ready
from deepscreen.core.metrics import label
from deepscreen.core.numbers import format_number
from deepscreen.service.policy import Bundle, load_bundle
from deepscreen.service.simulation import (
    OVERRIDE_ALIASES,
    Scenario,
    SweepResult,
    bundle_label,
    combinations,
    compare_policies,
    load_scenario,
    parse_sweep,
    run_sweep,
)

SIMULATED_SIGNALS = ("learned", "ensemble")
"""Signals the simulator provides whatever the settings enable (``PolicyBridge``)."""

GROUND_TRUTH = (
    "violating = AI-generated items that break the policy (the scenario's "
    "violating_share_of_ai per category), not every AI-generated item; a policy that labels "
    "all AI media counts its labels on benign AI items as false positives. (The demo's ground "
    "truth is different: there every AI-generated item is violating.)"
)

HEADLINE_METRICS = (
    "violating_views_realised",
    "views_prevented",
    "viral_deepfakes_stopped",
    "viral_deepfakes_without_moderation",
    "recall_any_action",
    "precision_any_action",
    "false_positive_rate_any_action",
    "sent_to_review",
    "review_backlog_final",
    "cost_review_labour",
    "cost_net_value",
)

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="A shipped scenario (small, large) or a scenario YAML file.",
        metavar="SCENARIO",
        show_default=False,
    ),
]
SweepOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sweep",
        metavar="KEY=V1,V2",
        help="Vary a scenario value over comma-separated values (repeatable: every "
        "combination runs). KEY is an alias (detection_latency: 2s, 1s, 500ms; reviewers) "
        "or a dotted path such as review.items_per_reviewer_hour or days.",
        show_default=False,
    ),
]
CompareOpt = Annotated[
    Path | None,
    typer.Option(
        "--compare",
        metavar="DIR",
        help="Candidate policy bundle (a directory or a shipped bundle's name) to compare with "
        "--policy on the same simulated items (not with --sweep).",
        file_okay=False,
        show_default=False,
    ),
]
ReplicationsOpt = Annotated[
    int,
    typer.Option(
        "--replications",
        min=1,
        help="Independent replications (seeds scenario seed + 0, 1, …) behind each mean and "
        "95% interval.",
    ),
]
MetricsOpt = Annotated[
    str | None,
    typer.Option(
        "--metrics",
        metavar="NAMES",
        help="Comma-separated metrics to print, or 'all' (default: a headline set). "
        "--json always has every metric.",
        show_default=False,
    ),
]
JsonOpt = Annotated[Path | None, json_file_option("every row (all metrics) and the frontier")]


def simulate(
    scenario: ScenarioArg,
    policy: PolicyOpt = None,
    sweep: SweepOpt = None,
    compare: CompareOpt = None,
    replications: ReplicationsOpt = 5,
    metrics: MetricsOpt = None,
    json_out: JsonOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Simulate a platform under a policy bundle: **every number is simulated**, from the
    scenario's documented model, not measured on any platform.

    Per simulated day: uploads arrive on a daily cycle, each item gets a category, whether
    it is AI-made, a deepfake (violating) and has declared provenance, a detector score and
    lifetime views. The real policy decides at upload (provenance) and again when the
    model's score arrives (after the detection latency); items sent to review wait in one
    queue served by the reviewers on shift; actions stop or damp the views still to come.
    Metrics are computed with ground truth known. The policy sees `signals.c2pa` (declared
    provenance) and `signals.learned` / `signals.ensemble` (the model score, once it has
    arrived); other signals abstain.

    `--sweep KEY=V1,V2` (repeatable) runs every combination; aliases: `detection_latency`
    (seconds: `2s`, `1s`, `500ms`, `2min`) and `reviewers`; any dotted scenario path works
    too. `--compare DIR` runs the candidate bundle against `--policy`. Replication r of
    every combination uses the same seed, so each delta against the FIRST combination is
    paired (value_r − first_r, mean and 95% t-interval over replications).
    """
    with domain_errors():
        try:
            sweeps = parse_sweep(sweep or [])
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--sweep") from None
        if sweeps and compare is not None:
            raise typer.BadParameter(
                "give either --sweep or --compare, not both", param_hint="--compare"
            )
        settings = settings_from(config, policy=policy)
        names = list(dict.fromkeys([*signal_names(settings), *SIMULATED_SIGNALS]))
        base = load_scenario(scenario)
        directory = Path(settings.policy_dir) if settings.policy_dir else default_policy_dir()
        bundle = load_bundle(directory, known_signals=names)
        candidate = load_bundle(compare, known_signals=names) if compare is not None else None
        plan = combinations(base, sweeps)
        console = Console()
        _print_header(console, base, bundle, candidate, [c.label for c in plan], replications)
        days = sum(c.scenario.days for c in plan) if candidate is None else 2 * base.days
        with progress_bar("simulating days", days * replications) as advance:
            if candidate is None:
                result = run_sweep(
                    base,
                    bundle,
                    sweeps,
                    replications=replications,
                    signal_names=names,
                    progress=advance,
                )
            else:
                result = compare_policies(
                    base,
                    bundle,
                    candidate,
                    replications=replications,
                    signal_names=names,
                    progress=advance,
                )
    _print_table(console, result, _metric_names(metrics, result), replications)
    if json_out is not None:
        write_json_file(json_out, _report(base, bundle, candidate, sweeps, replications, result))


def _print_header(
    console: Console,
    scenario: Scenario,
    bundle: Bundle,
    candidate: Bundle | None,
    labels: list[str],
    replications: int,
) -> None:
    console.print(escape(scenario.simulated_note), style="bold")
    days = f"{scenario.days} day{'s' if scenario.days != 1 else ''}"
    console.print(
        f"scenario {escape(scenario.name)}: {days}, "
        f"{scenario.uploads.per_day:,} uploads/day (expected)"
    )
    role = "baseline policy" if candidate is not None else "policy"
    console.print(f"{role}: {escape(bundle_label(bundle))} ({escape(bundle.directory)})")
    if candidate is not None:
        console.print(
            f"candidate policy: {escape(bundle_label(candidate))} ({escape(candidate.directory)})"
        )
    elif len(labels) > 1:
        console.print(f"combinations ({len(labels)}): {escape('; '.join(labels))}")
    first, last = scenario.seed, scenario.seed + replications - 1
    span = f"seed {first}" if replications == 1 else f"seeds {first}..{last}"
    paired = (
        "; replication r uses the same seed in every run, so deltas are paired"
        if candidate is not None or len(labels) > 1
        else ""
    )
    console.print(f"replications: {replications} ({span}{paired})")
    console.print(f"ground truth: {GROUND_TRUTH}", soft_wrap=True)


def _metric_names(text: str | None, result: SweepResult) -> list[str]:
    if text is None:
        return list(HEADLINE_METRICS)
    if text.strip() == "all":
        return result.metric_names()
    return [name.strip() for name in text.split(",") if name.strip()]


def _print_table(
    console: Console, result: SweepResult, metrics: list[str], replications: int
) -> None:
    rows = result.table(metrics)
    table = Table(
        title=f"simulated: mean over {replications} replication"
        f"{'s' if replications != 1 else ''} [95% t-interval]",
        box=box.SIMPLE,
    )
    table.add_column("combination", no_wrap=True)
    table.add_column("metric")
    table.add_column("value [95% CI]", justify="right")
    table.add_column(f"delta vs {escape(result.labels[0])} [95% CI]", justify="right")
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_metric.setdefault(row["metric"], []).append(row)
    for index, name in enumerate(m for m in metrics if m in by_metric):
        if index and len(result.labels) > 1:
            table.add_section()
        for row in by_metric[name]:
            first = row["combination"] == result.labels[0]
            delta = (
                "reference"
                if first
                else _with_ci(row["delta"], row["delta_low"], row["delta_high"])
            )
            table.add_row(
                escape(row["combination"]),
                escape(label(name)),
                _with_ci(row["value"], row["ci_low"], row["ci_high"]),
                delta,
            )
    console.print(table)
    missing = [m for m in metrics if m not in by_metric]
    if missing:
        console.print(
            escape(f"no value in any replication for: {', '.join(missing)}"), soft_wrap=True
        )


def _with_ci(value: float | None, low: float | None, high: float | None) -> str:
    if value is None:
        return "—"
    if low is None or high is None:
        return f"{format_number(value)} (no CI)"
    return f"{format_number(value)} [{format_number(low)}, {format_number(high)}]"


def _report(
    scenario: Scenario,
    bundle: Bundle,
    candidate: Bundle | None,
    sweeps: list[tuple[str, list[str]]],
    replications: int,
    result: SweepResult,
) -> dict[str, Any]:
    report: dict[str, Any] = json_ready(
        {
            "simulated_note": scenario.simulated_note,
            "ground_truth": GROUND_TRUTH,
            "labels": {name: label(name) for name in result.metric_names()},
            "scenario": scenario.name,
            "days": scenario.days,
            "uploads_per_day": scenario.uploads.per_day,
            "replications": replications,
            "seeds": list(result.seeds),
            "policy": {"label": bundle_label(bundle), "directory": bundle.directory},
            "candidate": (
                {"label": bundle_label(candidate), "directory": candidate.directory}
                if candidate is not None
                else None
            ),
            "sweeps": {key: values for key, values in sweeps},
            "aliases": dict(OVERRIDE_ALIASES),
            "combinations": list(result.labels),
            "delta": "paired by seed against the first combination: mean of value_r - first_r "
            "over replications r, 95% t-interval",
            "rows": result.table(),
            "frontier": result.frontier(),
        }
    )
    return report
